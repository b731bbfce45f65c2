import { meanMetric } from './mean-metric.js';
import { streamingMetric } from './streaming.js';
import type { AggregateContext, CategoryFamily, Metric, MetricValue, ScoredSample } from './types.js';
import { wilsonInterval } from './stats.js';

/**
 * The official GQA metric suite (eval.py of the GQA release), computed from stored per-sample rows.
 * Deviations from the reference script are listed in docs/scoring.md.
 */

const CATEGORY_ORDER = [
  'binary',
  'open',
  'structural/verify',
  'structural/query',
  'structural/choose',
  'structural/logical',
  'structural/compare',
  'semantic/obj',
  'semantic/attr',
  'semantic/rel',
  'semantic/cat',
  'semantic/global',
];
const FAMILY_ORDER = ['detailed/', 'steps/', 'words/'];

function rank(c: string): number {
  const i = CATEGORY_ORDER.indexOf(c);
  if (i >= 0) return i;
  const f = FAMILY_ORDER.findIndex((p) => c.startsWith(p));
  return CATEGORY_ORDER.length + (f < 0 ? FAMILY_ORDER.length : f);
}

/** The paper's tables show answer kind and structural and semantic types; the finer breakdowns wait for --details. */
const ACCURACY_FAMILIES: CategoryFamily[] = [
  { id: 'answer', description: 'binary or open answer', shownByDefault: true },
  { id: 'structural', description: 'structural type', shownByDefault: true },
  { id: 'semantic', description: 'semantic type', shownByDefault: true },
  { id: 'detailed', description: 'detailed type', shownByDefault: false },
  { id: 'steps', description: 'reasoning steps', shownByDefault: false },
  { id: 'words', description: 'question length', shownByDefault: false },
];

const isScored = (r: ScoredSample, ctx?: AggregateContext) => Boolean(ctx?.includeUnbalanced) || r.extra['isBalanced'] !== false;

const exactMatch = (answers: readonly string[], prediction: string) => (answers.includes(prediction) ? 1 : 0);

export const gqaAccuracy: Metric = meanMetric({
  id: 'gqa.accuracy',
  description:
    'exact-match accuracy: overall, binary/open, per structural, semantic and detailed type, per reasoning steps and question length',
  higherIsBetter: true,
  key: 'correct',
  scale: 100,
  binary: true,
  byImage: true,
  score: (sample, prediction) => ({ correct: exactMatch(sample.answers, prediction) }),
  include: isScored,
  categories(r) {
    const s = r.categories['structural'];
    const sem = r.categories['semantic'];
    const det = r.categories['detailed'];
    return [
      s === 'query' ? 'open' : 'binary',
      ...(s ? [`structural/${s}`] : []),
      ...(sem ? [`semantic/${sem}`] : []),
      ...(det ? [`detailed/${det}`] : []),
      `steps/${String(r.extra['steps'])}`,
      `words/${String(r.extra['words'])}`,
    ];
  },
  order: (a, b) => rank(a) - rank(b),
  families: ACCURACY_FAMILIES,
  familyOf: (c) => (c === 'binary' || c === 'open' ? 'answer' : c.split('/')[0]!),
});

/**
 * Consistency: for every correctly answered question with entailed questions, the accuracy over those
 * entailed questions; averaged. Needs a prediction for every entailed question.
 */
export const gqaConsistency: Metric = streamingMetric({
  id: 'gqa.consistency',
  description: 'mean accuracy over the entailed questions of each correctly answered question',
  higherIsBetter: true,
  permutationTest: true,
  score: () => ({}),
  accumulate(ctx) {
    // correctness of every question (entailed ones may come later in the file), and the entailed ids
    // of each correct question that has some; the lookup by id is built at the end, of the entailed
    // questions only (a map of every id cost more than the rest of compare's pass over a run)
    const ids: string[] = [];
    const correctness: number[] = [];
    const pending: string[][] = [];
    return {
      add(r) {
        const correct = exactMatch(r.answers, r.prediction);
        ids.push(r.id);
        correctness.push(correct);
        if (!isScored(r, ctx) || correct !== 1) return;
        const entailed = ((r.extra['entailed'] as string[] | undefined) ?? []).filter((e) => e !== r.id);
        if (entailed.length > 0) pending.push(entailed);
      },
      finish() {
        const base = { metric: 'gqa.consistency', category: 'overall', higherIsBetter: true };
        const wanted = new Set(pending.flat());
        const correctById = new Map<string, number>();
        ids.forEach((id, i) => {
          if (wanted.has(id)) correctById.set(id, correctness[i]!);
        });
        const missing = new Set<string>();
        let total = 0;
        for (const entailed of pending) {
          let sum = 0;
          for (const e of entailed) {
            const c = correctById.get(e);
            if (c === undefined) missing.add(e);
            else sum += c;
          }
          total += sum / entailed.length;
        }
        if (missing.size > 0) {
          return [
            {
              ...base,
              value: null,
              n: 0,
              note: `n/a: ${missing.size} entailed questions were not evaluated (run the whole questions file, without --limit)`,
            },
          ];
        }
        if (pending.length === 0)
          return [{ ...base, value: null, n: 0, note: 'n/a: no correctly answered question has entailed questions' }];
        return [{ ...base, value: (100 * total) / pending.length, n: pending.length }];
      },
    };
  },
});

/** GQA's `belongs`: questions of the "Common" detailed types accept the attribute family names. */
function belongs(prediction: string, group: readonly string[], detailed: string | null): boolean {
  const set = detailed?.includes('Common') ? ['color', 'material', 'shape'] : group;
  return set.includes(prediction);
}

function choiceMetric(id: 'gqa.validity' | 'gqa.plausibility', key: 'valid' | 'plausible'): Metric {
  return streamingMetric({
    id,
    description: `share of predictions in the question's ${key} answer set (needs a choices file)`,
    higherIsBetter: true,
    score: () => ({}),
    accumulate(ctx) {
      let hits = 0;
      let n = 0;
      let missing = 0;
      let firstMissing = '';
      return {
        add(r) {
          if (!ctx?.choices || !isScored(r, ctx)) return;
          const c = ctx.choices.get(r.id);
          if (!c) {
            if (missing++ === 0) firstMissing = r.id;
            return;
          }
          hits += belongs(r.prediction, c[key], r.categories['detailed'] ?? null) ? 1 : 0;
          n += 1;
        },
        finish(): MetricValue[] {
          const base = { metric: id, category: 'overall', higherIsBetter: true };
          if (!ctx?.choices) return [{ ...base, value: null, n: 0, note: 'n/a: no choices file (pass --choices; testdev ships none)' }];
          if (missing > 0)
            return [{ ...base, value: null, n: 0, note: `n/a: the choices file lacks ${missing} questions (e.g. ${firstMissing})` }];
          const ci = wilsonInterval(hits, n);
          return [
            { ...base, value: n ? (100 * hits) / n : null, n, interval: { low: 100 * ci.low, high: 100 * ci.high, method: 'wilson' } },
          ];
        },
      };
    },
  });
}

export const gqaValidity = choiceMetric('gqa.validity', 'valid');
export const gqaPlausibility = choiceMetric('gqa.plausibility', 'plausible');

/**
 * Distribution: per global answer group (null groups skipped), the chi-square of predicted against gold
 * answer counts over the gold answers, weighted by the group's size, averaged, then divided by 100.
 */
export const gqaDistribution: Metric = streamingMetric({
  id: 'gqa.distribution',
  description: 'chi-square distance between predicted and gold answer distributions per answer group',
  higherIsBetter: false,
  score: () => ({}),
  accumulate(ctx) {
    const gold = new Map<string, Map<string, number>>();
    const predicted = new Map<string, Map<string, number>>();
    const bump = (m: Map<string, Map<string, number>>, g: string, a: string) => {
      const inner = m.get(g) ?? new Map<string, number>();
      inner.set(a, (inner.get(a) ?? 0) + 1);
      m.set(g, inner);
    };
    let n = 0;
    return {
      add(r) {
        const group = r.extra['globalGroup'];
        if (!isScored(r, ctx) || typeof group !== 'string') return;
        bump(gold, group, r.answers[0]!);
        bump(predicted, group, r.prediction);
        n += 1;
      },
      finish() {
        // values are around 0.01-1: two decimals would hide every difference
        const base = { metric: 'gqa.distribution', category: 'overall', higherIsBetter: false, digits: 4 };
        if (n === 0) return [{ ...base, value: null, n: 0, note: 'n/a: no question has a global answer group' }];
        let sumScore = 0;
        let sumOverall = 0;
        for (const [group, answers] of gold) {
          let score = 0;
          let overall = 0;
          for (const [answer, expected] of answers) {
            const observed = predicted.get(group)?.get(answer) ?? 0;
            score += (observed - expected) ** 2 / expected;
            overall += expected;
          }
          sumScore += score * overall;
          sumOverall += overall;
        }
        return [{ ...base, value: sumScore / sumOverall / 100, n }];
      },
    };
  },
});
