import { meanMetric } from './mean-metric.js';
import type { Metric, MetricValue, ScoredSample } from './types.js';

/** POPE scoring as its reference evaluation does it (docs/scoring.md). */

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
  id: 'pope.accuracy',
  description: 'POPE accuracy per split',
  higherIsBetter: true,
  key: 'popeCorrect',
  scale: 100,
  binary: true,
  score: popeScore,
  include: () => true,
  byImage: true,
  categories: popeSplit,
});

export const popeYesRatio: Metric = meanMetric({
  id: 'pope.yes-ratio',
  description: 'share of "yes" answers (balanced splits have 50%; far from it shows a bias; not a quality score to gate on)',
  higherIsBetter: false,
  neutral: true,
  key: 'popeSaidYes',
  scale: 100,
  binary: true,
  score: () => ({}),
  include: () => true,
  categories: popeSplit,
});

function confusionMetric(
  id: string,
  description: string,
  value: (tp: number, fp: number, fn: number) => number | null,
  permutationTest = false,
): Metric {
  return {
    id,
    description,
    higherIsBetter: true,
    permutationTest,
    score: () => ({}),
    aggregate(rows) {
      const cats = new Map<string, ScoredSample[]>([['overall', []]]);
      for (const r of rows) for (const c of ['overall', ...popeSplit(r)]) cats.set(c, [...(cats.get(c) ?? []), r]);
      return [...cats.entries()].map(([category, rs]): MetricValue => {
        let tp = 0;
        let fp = 0;
        let fn = 0;
        for (const r of rs) {
          const said = r.scores['popeSaidYes'] === 1;
          const truth = r.scores['popeTruthYes'] === 1;
          if (said && truth) tp++;
          else if (said && !truth) fp++;
          else if (!said && truth) fn++;
        }
        const v = value(tp, fp, fn);
        return v === null
          ? {
              metric: id,
              category,
              value: null,
              n: rs.length,
              higherIsBetter: true,
              note: 'n/a: undefined (no positive predictions or labels)',
            }
          : { metric: id, category, value: 100 * v, n: rs.length, higherIsBetter: true };
      });
    },
  };
}

export const popePrecision = confusionMetric('pope.precision', 'POPE precision of "yes" per split', (tp, fp) =>
  tp + fp ? tp / (tp + fp) : null,
);
export const popeRecall = confusionMetric('pope.recall', 'POPE recall of "yes" per split', (tp, _fp, fn) =>
  tp + fn ? tp / (tp + fn) : null,
);
export const popeF1 = confusionMetric(
  'pope.f1',
  'POPE F1 of "yes" per split',
  (tp, fp, fn) => (2 * tp + fp + fn ? (2 * tp) / (2 * tp + fp + fn) : null),
  true,
);
