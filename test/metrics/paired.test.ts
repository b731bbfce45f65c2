import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/metrics/stats.js';
import {
  binomialCdfHalf,
  clusterStandardError,
  erfc,
  holm,
  mcnemar,
  minimumDetectableEffect,
  normalQuantile,
} from '../../src/metrics/paired.js';
import { signFlipTest } from '../../src/metrics/sign-flip.js';

describe('McNemar', () => {
  it('gives exact binomial p-values computed by hand for small tables', () => {
    // b=0, c=5: 2 * (1/2)^5 = 0.0625
    expect(mcnemar(0, 5).p).toBeCloseTo(0.0625, 12);
    // b=1, c=6: 2 * (1 + 7) / 128 = 0.125
    expect(mcnemar(1, 6).p).toBeCloseTo(0.125, 12);
    // b=2, c=8: 2 * (1 + 10 + 45) / 1024 = 0.109375
    expect(mcnemar(2, 8).p).toBeCloseTo(0.109375, 12);
    expect(mcnemar(3, 3).p).toBe(1);
    // equal discordant counts are no evidence, on the chi-square branch too
    expect(mcnemar(300, 300)).toMatchObject({ p: 1, method: 'chi-square-cc' });
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

describe('sign-flip test over clusters', () => {
  const opts = { seed: 3, iterations: 999 };

  it("is McNemar's exact test when every cluster holds one question", () => {
    // b = 0, c = 5: of 32 sign patterns, two reach |5| (all + or all -)
    expect(signFlipTest([1, 1, 1, 1, 1], opts)).toEqual({ p: 2 / 32, method: 'sign-flip-exact' });
    expect(signFlipTest([1, 1, 1, 1, 1], opts).p).toBeCloseTo(mcnemar(0, 5).p, 12);
    // b = 1, c = 4: |sum| = 3; patterns with |sum| 5: 2, with |sum| 3: 10 -> 12 / 32
    expect(signFlipTest([-1, 1, 1, 1, 1], opts).p).toBeCloseTo(12 / 32, 12);
    expect(signFlipTest([-1, 1, 1, 1, 1], opts).p).toBeCloseTo(mcnemar(1, 4).p, 12);
  });

  it('weighs each cluster by its whole difference, so one image cannot pass for many', () => {
    // one image with a difference of 10 is one sign to flip, not ten: both patterns reach it
    expect(signFlipTest([10], opts).p).toBe(1);
    expect(signFlipTest(new Array<number>(10).fill(1), opts).p).toBeCloseTo(2 / 1024, 12);
  });

  it('gives p = 1 for no difference, and for 0/1 scores the exact value at any number of images (no Monte Carlo floor)', () => {
    expect(signFlipTest([2, -2, 1, -1], opts).p).toBe(1);
    // 50 images, each one question better: p = 2 / 2^50; Monte Carlo with 999 patterns could not go below 1/1000,
    // and Holm over a 48-row family at alpha 0.01 could then never flag it
    const strong = signFlipTest(new Array<number>(50).fill(1), opts);
    expect(strong.method).toBe('sign-flip-exact');
    expect(strong.p).toBeCloseTo(2 / 2 ** 50, 25);
    expect(48 * strong.p).toBeLessThan(0.01);
    // VQA's soft scores move in thirds: exact too
    const thirds = signFlipTest([1 / 3, 2 / 3, 1, 1 / 3, -1 / 3, 2 / 3, 1, 1, 1 / 3, 2 / 3, 1, 1 / 3, 1 / 3, 2 / 3], opts);
    expect(thirds.method).toBe('sign-flip-exact');
    expect(thirds.p).toBeCloseTo(signFlipTest([1, 2, 3, 1, -1, 2, 3, 3, 1, 2, 3, 1, 1, 2], opts).p, 12);
  });

  it('draws patterns at random for a few hundred clusters off a lattice, never giving 0', () => {
    const d = Array.from({ length: 100 }, (_, i) => 1 + Math.SQRT2 * 1e-3 * i);
    const r = signFlipTest(d, opts);
    expect(r.method).toBe('sign-flip-monte-carlo');
    expect(r.p).toBe(1 / 1000);
  });

  it('uses the normal approximation of the same statistic for many clusters off a lattice', () => {
    const d = Array.from({ length: 300 }, (_, i) => (i < 170 ? Math.SQRT2 : -Math.SQRT2)); // sum 40√2, variance 600
    const r = signFlipTest(d, opts);
    expect(r.method).toBe('sign-flip-normal');
    expect(r.p).toBeCloseTo(erfc(40 / Math.sqrt(600)), 12);
  });

  it('holds its level under a skewed null (each image +4 with probability 0.2, else -1: mean 0), where mid-p did not', () => {
    // mid-p counted ties half and rejected 10.3% of such runs at 25 images (docs/scoring.md); whole ties 3.2%
    const rand = seededRandom(11);
    const runs = 4000;
    let rejected = 0;
    for (let r = 0; r < runs; r++) {
      const d = Array.from({ length: 25 }, () => (rand() < 0.2 ? 4 : -1));
      if (signFlipTest(d, opts).p < 0.05) rejected++;
    }
    expect(rejected / runs).toBeLessThanOrEqual(0.08);
  });
});

describe('normal quantiles and the minimum detectable effect', () => {
  it('inverts the normal CDF', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 7);
    expect(normalQuantile(0.8)).toBeCloseTo(0.8416212335729143, 7);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 6);
  });

  it('is (z(1 - α/2) + z(power)) standard errors', () => {
    expect(minimumDetectableEffect(1, 0.05, 0.8)).toBeCloseTo(2.801585, 5);
  });

  it('takes the standard error from cluster sums, with the small-sample factor G/(G-1) (CR1)', () => {
    // two clusters of 2 items: differences 2 and 0, mean 0.5 per item -> residuals 1, -1 -> sqrt(2/1 * 2) / 4
    expect(clusterStandardError([2, 0], [2, 2])).toBeCloseTo(0.5, 12);
    // one cluster: no spread to estimate
    expect(clusterStandardError([2], [2])).toBeNaN();
  });

  it('uses t quantiles with G - 1 degrees of freedom over few images', () => {
    // t(7): 2.3646 + 0.8960 = 3.2607 standard errors at 8 images, against 2.8016 from z
    expect(minimumDetectableEffect(1, 0.05, 0.8, 8)).toBeCloseTo(3.2606539, 5);
    expect(minimumDetectableEffect(1, 0.05, 0.8, 1)).toBe(Infinity);
  });
});
