import { describe, expect, it } from 'vitest';
import { meanMetric } from '../../src/metrics/mean-metric.js';
import { wilsonInterval } from '../../src/metrics/stats.js';
import type { ScoredSample } from '../../src/metrics/types.js';

describe('Wilson interval', () => {
  it('matches hand-computed values', () => {
    // 8/10: center (0.8 + 1.92/20)/(1+0.384) ... computed with z = 1.959964
    const ci = wilsonInterval(8, 10);
    expect(ci.low).toBeCloseTo(0.49016, 4);
    expect(ci.high).toBeCloseTo(0.94332, 4);
    const zero = wilsonInterval(0, 20);
    expect(zero.low).toBe(0);
    expect(zero.high).toBeCloseTo(0.16113, 4);
    const all = wilsonInterval(20, 20);
    expect(all.high).toBe(1);
    expect(all.low).toBeCloseTo(0.83887, 4);
  });

  it('is [0, 1] with no observations', () => {
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
  });
});

function row(id: string, correct: number, cat: string | null): ScoredSample {
  return { id, group: 'g', categories: { structural: cat }, extra: {}, prediction: '', answers: [], scores: { correct } };
}

const def = {
  id: 'm',
  description: '',
  higherIsBetter: true,
  key: 'correct',
  scale: 100,
  binary: true,
  score: () => ({}),
  include: () => true,
  categories: (r: ScoredSample) => (r.categories['structural'] ? [`structural/${r.categories['structural']}`] : []),
};

describe('accuracy by category', () => {
  it('counts overall and per category, skipping null labels', () => {
    const rows = [row('1', 1, 'verify'), row('2', 0, 'verify'), row('3', 1, 'query'), row('4', 1, null)];
    const values = meanMetric(def).aggregate(rows);
    expect(values.map((v) => [v.category, v.n, v.value])).toEqual([
      ['overall', 4, 75],
      ['structural/query', 1, 100],
      ['structural/verify', 2, 50],
    ]);
    expect(values[0]!.interval!.method).toBe('wilson');
  });

  it('reports an empty set as n/a, never as 0%', () => {
    const [overall] = meanMetric(def).aggregate([]);
    expect(overall).toMatchObject({ category: 'overall', n: 0, value: null });
  });
});
