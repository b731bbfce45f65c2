import { meanMetric } from './mean-metric.js';
import { wilsonInterval } from './stats.js';
import type { Metric, ScoredSample } from './types.js';

/** MMVP scoring as its reference evaluation does it (docs/scoring.md). */

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
