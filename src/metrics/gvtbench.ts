import type { Sample } from '../datasets/types.js';
import { meanMetric } from './mean-metric.js';
import type { CategoryFamily, Metric, ScoredSample } from './types.js';

/**
 * GVTBench scoring as its reference scorer does it, quirks included (docs/scoring.md):
 * number words become digits by plain substring replacement in a fixed order, with the scorer's
 * "nive" typo (so "nine" stays a word) and "someone" turning into "some1"; then the first run of
 * digits is the count, 0 when there is none.
 */
const NUMBER_WORDS: ReadonlyArray<[string, string]> = [
  ['none', '0'],
  ['one', '1'],
  ['two', '2'],
  ['three', '3'],
  ['four', '4'],
  ['five', '5'],
  ['six', '6'],
  ['seven', '7'],
  ['eight', '8'],
  ['nive', '9'],
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

function scoreCount(sample: Sample, prediction: string): Record<string, number> {
  if (sample.categories['task'] !== 'oc') return {};
  const gold = Number.parseInt(sample.answers[0]!, 10);
  const count = parseCount(prediction);
  return { count, countCorrect: count === gold ? 1 : 0, absError: Math.abs(count - gold), sqError: (count - gold) ** 2 };
}

/** Categories are `<source>` and `<source>/<bin>`: a source's rows, then the same rows by bin. */
function bySource(binFamily: CategoryFamily): { families: CategoryFamily[]; familyOf: (c: string) => string } {
  return {
    families: [{ id: 'source', description: 'source', shownByDefault: true }, binFamily],
    familyOf: (c) => (c.includes('/') ? binFamily.id : 'source'),
  };
}

const counting = {
  include: isTask('oc'),
  categories: ocCategories,
  ...bySource({ id: 'gold count', description: 'source and gold count', shownByDefault: true }),
};

export const ocAccuracy: Metric = meanMetric({
  id: 'gvtbench.oc.accuracy',
  description: 'object counting: exact count accuracy, overall, per source and per gold-count bin',
  higherIsBetter: true,
  key: 'countCorrect',
  scale: 100,
  binary: true,
  score: scoreCount,
  ...counting,
});

// MAE and RMSE read the errors stored by the accuracy metric's scorer; they add no scores of their own.
export const ocMae: Metric = meanMetric({
  id: 'gvtbench.oc.mae',
  description: 'object counting: mean absolute error of the count',
  higherIsBetter: false,
  key: 'absError',
  scale: 1,
  binary: false,
  margin: 0.1,
  score: () => ({}),
  ...counting,
});

export const ocRmse: Metric = meanMetric({
  id: 'gvtbench.oc.rmse',
  description: 'object counting: root mean squared error of the count',
  higherIsBetter: false,
  key: 'sqError',
  scale: 1,
  binary: false,
  transform: 'sqrt',
  score: () => ({}),
  ...counting,
});

export const mciAccuracy: Metric = meanMetric({
  id: 'gvtbench.mci.accuracy',
  description: 'multi-class identification: yes/no accuracy, overall, per source and per number of objects in the image',
  higherIsBetter: true,
  key: 'mciCorrect',
  scale: 100,
  binary: true,
  score: (sample, prediction): Record<string, number> =>
    sample.categories['task'] === 'mci' ? { mciCorrect: mciCorrect(sample.answers[0]!, prediction) ? 1 : 0 } : {},
  include: isTask('mci'),
  ...bySource({ id: 'objects', description: 'source and number of objects', shownByDefault: true }),
  categories: (r) => {
    const subset = String(r.categories['subset']);
    return [subset, `${subset}/objects ${objectBin(Number(r.extra['nObjExist']))}`];
  },
});
