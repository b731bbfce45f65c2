import { accuracyByCategory } from './accuracy.js';
import { Z95 } from './stats.js';
import type { Metric, MetricValue, ScoredSample } from './types.js';

/**
 * GVTBench scoring as its reference scorer does it, quirks included (docs/scoring.md):
 * number words become digits by plain substring replacement in a fixed order, with the scorer's
 * "nive" typo (so "nine" stays a word) and "someone" turning into "some1"; then the first run of
 * digits is the count, 0 when there is none.
 */
const NUMBER_WORDS: ReadonlyArray<[string, string]> = [
  ['none', '0'], ['one', '1'], ['two', '2'], ['three', '3'], ['four', '4'],
  ['five', '5'], ['six', '6'], ['seven', '7'], ['eight', '8'], ['nive', '9'],
];

export function parseCount(text: string): number {
  let t = text;
  for (const [word, digit] of NUMBER_WORDS) t = t.split(word).join(digit);
  const m = /\d+/.exec(t);
  return m ? Number.parseInt(m[0], 10) : 0;
}

/** MCI: right when gold says Yes and the lowercased prediction contains "yes", or gold says No and it contains "no". */
export function mciCorrect(gold: string, prediction: string): boolean {
  const p = prediction.toLowerCase();
  if (gold.includes('Yes')) return p.includes('yes');
  if (gold.includes('No')) return p.includes('no');
  return false;
}

export function countBin(gold: number): string {
  const b = Math.floor(gold / 3);
  return `${3 * b}~${3 * b + 3}`;
}

export function objectBin(n: number): string {
  return n < 10 ? '1-9' : n < 20 ? '10-19' : '>=20';
}

const isTask = (task: string) => (r: ScoredSample) => r.categories['task'] === task;

function ocCategories(r: ScoredSample): string[] {
  const subset = String(r.categories['subset']);
  return [subset, `${subset}/gold ${countBin(Number.parseInt(r.answers[0]!, 10))}`];
}

/** Mean (or root mean) of a per-sample error, overall and per category, lower is better. */
function errorByCategory(metric: string, rows: readonly ScoredSample[], key: string, root: boolean): MetricValue[] {
  const cats = new Map<string, number[]>([['overall', []]]);
  for (const r of rows) {
    for (const c of ['overall', ...ocCategories(r)]) cats.set(c, [...(cats.get(c) ?? []), r.scores[key] ?? 0]);
  }
  const natural = (a: string, b: string) => (a === 'overall' ? -1 : b === 'overall' ? 1 : a.localeCompare(b, 'en', { numeric: true }));
  return [...cats.entries()].sort(([a], [b]) => natural(a, b)).map(([category, xs]): MetricValue => {
    if (xs.length === 0) return { metric, category, value: null, n: 0, higherIsBetter: false, note: 'no counting questions' };
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    if (root) return { metric, category, value: Math.sqrt(mean), n: xs.length, higherIsBetter: false };
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
    const half = (Z95 * sd) / Math.sqrt(xs.length);
    return { metric, category, value: mean, n: xs.length, higherIsBetter: false, interval: { low: Math.max(0, mean - half), high: mean + half, method: 'normal' } };
  });
}

export const ocAccuracy: Metric = {
  id: 'gvtbench.oc.accuracy',
  description: 'object counting: exact count accuracy, overall, per source and per gold-count bin',
  higherIsBetter: true,
  score(sample, prediction) {
    if (sample.categories['task'] !== 'oc') return {} as Record<string, number>;
    const gold = Number.parseInt(sample.answers[0]!, 10);
    const count = parseCount(prediction);
    return { count, countCorrect: count === gold ? 1 : 0, absError: Math.abs(count - gold), sqError: (count - gold) ** 2 };
  },
  aggregate: (rows) => accuracyByCategory('gvtbench.oc.accuracy', rows.filter(isTask('oc')), 'countCorrect', ocCategories, { clusterBootstrap: false }),
};

export const ocMae: Metric = {
  id: 'gvtbench.oc.mae',
  description: 'object counting: mean absolute error of the count (lower is better)',
  higherIsBetter: false,
  score: () => ({}),
  aggregate: (rows) => errorByCategory('gvtbench.oc.mae', rows.filter(isTask('oc')), 'absError', false),
};

export const ocRmse: Metric = {
  id: 'gvtbench.oc.rmse',
  description: 'object counting: root mean squared error of the count (lower is better)',
  higherIsBetter: false,
  score: () => ({}),
  aggregate: (rows) => errorByCategory('gvtbench.oc.rmse', rows.filter(isTask('oc')), 'sqError', true),
};

export const mciAccuracy: Metric = {
  id: 'gvtbench.mci.accuracy',
  description: 'multi-class identification: yes/no accuracy, overall, per source and per number of objects in the image',
  higherIsBetter: true,
  score: (sample, prediction): Record<string, number> => (sample.categories['task'] === 'mci' ? { mciCorrect: mciCorrect(sample.answers[0]!, prediction) ? 1 : 0 } : {}),
  aggregate: (rows) => accuracyByCategory('gvtbench.mci.accuracy', rows.filter(isTask('mci')), 'mciCorrect', (r) => {
    const subset = String(r.categories['subset']);
    return [subset, `${subset}/objects ${objectBin(Number(r.extra['nObjExist']))}`];
  }),
};
