import { meanMetric } from './mean.js';
import { wilsonInterval } from './stats.js';
import type { Metric, MetricValue, ScoredSample } from './types.js';

/**
 * MMVP, MME and POPE scoring, each as its reference evaluation does it (docs/scoring.md).
 */

// ---- MMVP -----------------------------------------------------------------------------------------

/** Right when the answer names the correct option's letter ("a", "(a)", "(a) open") or its text. */
export function mmvpCorrect(prediction: string, letter: string, optionText: string): boolean {
  const p = prediction.trim().toLowerCase().replace(/\.$/, '');
  const m = /^\(?([a-z])\)(?:\s|$)|^([a-z])$/.exec(p);
  if (m) return (m[1] ?? m[2]) === letter;
  return p === optionText.toLowerCase() || p.startsWith(`${optionText.toLowerCase()} `);
}

export const mmvpAccuracy: Metric = meanMetric({
  id: 'mmvp.accuracy',
  description: 'MMVP per-question accuracy',
  higherIsBetter: true, key: 'mmvpCorrect', scale: 100, binary: true,
  score: (sample, prediction) => ({ mmvpCorrect: mmvpCorrect(prediction, sample.answers[0]!, sample.answers[1]!) ? 1 : 0 }),
  include: () => true,
  categories: () => [],
});

export const mmvpPairAccuracy: Metric = {
  id: 'mmvp.pair-accuracy',
  description: 'MMVP pair accuracy: both questions of a pair answered correctly',
  higherIsBetter: true,
  score: () => ({}),
  aggregate(rows) {
    const pairs = new Map<string, ScoredSample[]>();
    for (const r of rows) pairs.set(r.group, [...(pairs.get(r.group) ?? []), r]);
    const complete = [...pairs.values()].filter((p) => p.length === 2);
    if (complete.length === 0) return [{ metric: this.id, category: 'overall', value: null, n: 0, higherIsBetter: true, note: 'n/a: no complete pair was evaluated' }];
    const both = complete.filter((p) => p.every((r) => r.scores['mmvpCorrect'] === 1)).length;
    const ci = wilsonInterval(both, complete.length);
    return [{ metric: this.id, category: 'overall', value: (100 * both) / complete.length, n: complete.length, higherIsBetter: true, interval: { low: 100 * ci.low, high: 100 * ci.high, method: 'wilson' } }];
  },
};

// ---- MME ------------------------------------------------------------------------------------------

/** MME's answer parsing: exact yes/no after dropping periods, else "yes"/"no" within the first four characters. */
export function mmeLabel(prediction: string): 'yes' | 'no' | 'other' {
  const p = prediction.toLowerCase().trim().replace(/\./g, '');
  if (p === 'yes' || p === 'no') return p;
  const head = p.slice(0, 4);
  return head.includes('yes') ? 'yes' : head.includes('no') ? 'no' : 'other';
}

const subtask = (r: ScoredSample) => [`subtask/${String(r.categories['subtask'])}`];

export const mmeAccuracy: Metric = meanMetric({
  id: 'mme.accuracy',
  description: 'MME question accuracy (acc), overall and per subtask',
  higherIsBetter: true, key: 'mmeCorrect', scale: 100, binary: true, clusterBootstrap: true,
  score: (sample, prediction) => ({ mmeCorrect: mmeLabel(prediction) === sample.answers[0]!.toLowerCase() ? 1 : 0 }),
  include: () => true,
  categories: subtask,
});

/** MME score per subtask: acc + acc+ (acc+ = share of images with both questions right), out of 200; overall is the sum. */
export const mmeScore: Metric = {
  id: 'mme.score',
  description: 'MME score: acc + acc+ per subtask (max 200); overall is the perception total over the subtasks present',
  higherIsBetter: true,
  score: () => ({}),
  aggregate(rows) {
    const tasks = new Map<string, Map<string, ScoredSample[]>>();
    for (const r of rows) {
      const t = String(r.categories['subtask']);
      const images = tasks.get(t) ?? new Map<string, ScoredSample[]>();
      images.set(r.group, [...(images.get(r.group) ?? []), r]);
      tasks.set(t, images);
    }
    const values: MetricValue[] = [];
    let total = 0;
    let n = 0;
    for (const [task, images] of [...tasks.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const qs = [...images.values()].flat();
      const acc = qs.filter((r) => r.scores['mmeCorrect'] === 1).length / qs.length;
      const accPlus = [...images.values()].filter((g) => g.every((r) => r.scores['mmeCorrect'] === 1)).length / images.size;
      const score = 100 * acc + 100 * accPlus;
      total += score;
      n += qs.length;
      values.push({ metric: this.id, category: `subtask/${task}`, value: score, n: qs.length, higherIsBetter: true, note: `acc ${(100 * acc).toFixed(2)}, acc+ ${(100 * accPlus).toFixed(2)}` });
    }
    return [{ metric: this.id, category: 'overall', value: n ? total : null, n, higherIsBetter: true, note: `sum over ${tasks.size} subtasks (max ${200 * tasks.size})` }, ...values];
  },
};

// ---- POPE -----------------------------------------------------------------------------------------

/** POPE's parsing: first sentence, commas dropped; "no" when it contains the word No, no or not, else "yes". */
export function popeLabel(prediction: string): 'yes' | 'no' {
  const first = prediction.includes('.') ? prediction.split('.')[0]! : prediction;
  const words = first.replace(/,/g, '').split(' ');
  return words.includes('No') || words.includes('not') || words.includes('no') ? 'no' : 'yes';
}

const popeSplit = (r: ScoredSample) => [`split/${String(r.categories['split'])}`];

function popeScore(sample: { answers: string[] }, prediction: string): Record<string, number> {
  const said = popeLabel(prediction) === 'yes';
  const truth = sample.answers[0] === 'yes';
  return { popeCorrect: said === truth ? 1 : 0, popeSaidYes: said ? 1 : 0, popeTruthYes: truth ? 1 : 0 };
}

export const popeAccuracy: Metric = meanMetric({
  id: 'pope.accuracy', description: 'POPE accuracy per split', higherIsBetter: true, key: 'popeCorrect', scale: 100, binary: true,
  score: popeScore, include: () => true, categories: popeSplit,
});

export const popeYesRatio: Metric = meanMetric({
  id: 'pope.yes-ratio', description: 'share of "yes" answers (balanced splits have 50%; far from it shows a bias; not a quality score to gate on)',
  higherIsBetter: false, key: 'popeSaidYes', scale: 100, binary: true, score: () => ({}), include: () => true, categories: popeSplit,
});

function confusionMetric(id: string, description: string, value: (tp: number, fp: number, fn: number) => number | null): Metric {
  return {
    id, description, higherIsBetter: true, score: () => ({}),
    aggregate(rows) {
      const cats = new Map<string, ScoredSample[]>([['overall', []]]);
      for (const r of rows) for (const c of ['overall', ...popeSplit(r)]) cats.set(c, [...(cats.get(c) ?? []), r]);
      return [...cats.entries()].map(([category, rs]): MetricValue => {
        let tp = 0; let fp = 0; let fn = 0;
        for (const r of rs) {
          const said = r.scores['popeSaidYes'] === 1;
          const truth = r.scores['popeTruthYes'] === 1;
          if (said && truth) tp++;
          else if (said && !truth) fp++;
          else if (!said && truth) fn++;
        }
        const v = value(tp, fp, fn);
        return v === null
          ? { metric: id, category, value: null, n: rs.length, higherIsBetter: true, note: 'n/a: undefined (no positive predictions or labels)' }
          : { metric: id, category, value: 100 * v, n: rs.length, higherIsBetter: true };
      });
    },
  };
}

export const popePrecision = confusionMetric('pope.precision', 'POPE precision of "yes" per split', (tp, fp) => (tp + fp ? tp / (tp + fp) : null));
export const popeRecall = confusionMetric('pope.recall', 'POPE recall of "yes" per split', (tp, _fp, fn) => (tp + fn ? tp / (tp + fn) : null));
export const popeF1 = confusionMetric('pope.f1', 'POPE F1 of "yes" per split', (tp, fp, fn) => (2 * tp + fp + fn ? (2 * tp) / (2 * tp + fp + fn) : null));
