import { describe, expect, it } from 'vitest';
import { binomialCdfHalf, erfc, holm, mcnemar, pairedClusterBootstrap } from '../../src/metrics/paired.js';

describe('McNemar', () => {
  it('gives exact binomial p-values computed by hand for small tables', () => {
    // b=0, c=5: 2 * (1/2)^5 = 0.0625
    expect(mcnemar(0, 5).p).toBeCloseTo(0.0625, 12);
    // b=1, c=6: 2 * (1 + 7) / 128 = 0.125
    expect(mcnemar(1, 6).p).toBeCloseTo(0.125, 12);
    // b=2, c=8: 2 * (1 + 10 + 45) / 1024 = 0.109375
    expect(mcnemar(2, 8).p).toBeCloseTo(0.109375, 12);
    expect(mcnemar(3, 3).p).toBe(1);
    expect(mcnemar(0, 0)).toMatchObject({ p: 1, method: 'none' });
    expect(mcnemar(2, 8).method).toBe('exact');
  });

  it('switches to the continuity-corrected chi-square for many discordant pairs', () => {
    const r = mcnemar(150, 250);
    expect(r.method).toBe('chi-square-cc');
    // chi2 = (100-1)^2/400 = 24.5025 -> p = erfc(sqrt(12.25125))
    expect(r.p).toBeCloseTo(erfc(Math.sqrt(24.5025 / 2)), 12);
    expect(r.p).toBeLessThan(1e-5);
    // and the exact test agrees in magnitude there
    expect(mcnemar(150, 250, 10_000).p).toBeLessThan(1e-5);
  });

  it('computes binomial tails and erfc accurately', () => {
    expect(binomialCdfHalf(2, 4)).toBeCloseTo(11 / 16, 12);
    expect(erfc(0)).toBeCloseTo(1, 6);
    expect(erfc(1.959963984540054 / Math.SQRT2)).toBeCloseTo(0.05, 6);
  });
});

describe('Holm adjustment', () => {
  it('matches a worked example', () => {
    expect(holm([0.01, 0.04, 0.03, 0.005])).toEqual([0.03, 0.06, 0.06, 0.02]);
    expect(holm([0.5, 0.9])).toEqual([1, 1]);
  });
});

describe('paired cluster bootstrap', () => {
  it('centres on the true difference and is reproducible from its seed', () => {
    const clusters = Array.from({ length: 50 }, (_, i) => ({ sumA: 5, sumB: 5 + (i % 2), count: 10 }));
    const a = pairedClusterBootstrap(clusters, { seed: 7, iterations: 500 });
    const b = pairedClusterBootstrap(clusters, { seed: 7, iterations: 500 });
    expect(a).toEqual(b);
    expect(a.low).toBeLessThan(0.05);
    expect(a.high).toBeGreaterThan(0.05);
    expect(a.low).toBeGreaterThan(0);
    expect(a.p).toBeLessThan(0.05);
  });
});
