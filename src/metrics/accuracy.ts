import type { MetricValue, ScoredSample } from './types.js';
import { wilsonInterval } from './stats.js';

/**
 * Accuracy (in percent, with a Wilson interval) of a 0/1 score, overall and per category. `categoryOf`
 * returns the category names a row belongs to besides `overall` (none for null labels).
 */
export function accuracyByCategory(
  metric: string,
  rows: readonly ScoredSample[],
  scoreKey: string,
  categoryOf: (row: ScoredSample) => string[],
  order: (a: string, b: string) => number = () => 0,
): MetricValue[] {
  const tally = new Map<string, { correct: number; n: number }>([['overall', { correct: 0, n: 0 }]]);
  for (const row of rows) {
    const score = row.scores[scoreKey] ?? 0;
    for (const cat of ['overall', ...categoryOf(row)]) {
      const t = tally.get(cat) ?? { correct: 0, n: 0 };
      t.correct += score;
      t.n += 1;
      tally.set(cat, t);
    }
  }
  const cats = [...tally.keys()];
  const sorted = ['overall', ...cats.filter((c) => c !== 'overall').sort((a, b) => order(a, b) || a.localeCompare(b))];
  return sorted.map((category) => {
    const { correct, n } = tally.get(category)!;
    if (n === 0) return { metric, category, value: null, n, higherIsBetter: true, note: 'no scored questions' };
    const ci = wilsonInterval(correct, n);
    return { metric, category, value: (100 * correct) / n, n, higherIsBetter: true, interval: { low: 100 * ci.low, high: 100 * ci.high, method: 'wilson' } };
  });
}
