import { describe, expect, it } from 'vitest';
import { normalQuantile } from '../../src/metrics/normal.js';
import { signFlipInterval } from '../../src/metrics/sign-flip-interval.js';
import { shiftedResiduals, signFlipTails, signFlipTest, type ClusterEvidence } from '../../src/metrics/sign-flip.js';
import { seededRandom } from '../../src/metrics/stats.js';

const opts = { seed: 3, iterations: 999 };

/** G images of 1-9 questions each, 0/1 answers of two equally good models (a clustered null). */
function clusteredNull(rand: () => number, images: number): ClusterEvidence {
  const diff = new Float64Array(images);
  const count = new Float64Array(images);
  for (let c = 0; c < images; c++) {
    const n = 1 + Math.floor(rand() * 9);
    // each image favours one model by a random amount: the clustering that breaks tests ignoring it
    const favour = (rand() - 0.5) * 0.8;
    for (let q = 0; q < n; q++) diff[c] += (rand() < 0.5 + favour ? 1 : 0) - (rand() < 0.5 - favour ? 1 : 0);
    count[c] = n;
  }
  return { diff, count };
}

const excludesZero = (i: { low: number; high: number }) => i.low > 0 || i.high < 0;

describe('the interval of Δ inverts the sign-flip test', () => {
  it('excludes 0 exactly when the exact test rejects, wherever every pattern is enumerated', () => {
    const rand = seededRandom(5);
    let rejected = 0;
    for (let run = 0; run < 400; run++) {
      const evidence = clusteredNull(rand, 6 + (run % 11));
      // a shift, so that some runs reject
      evidence.diff.forEach((_, i) => (evidence.diff[i] += run % 3 === 0 ? Math.round(evidence.count[i]! * 0.5) : 0));
      const p = signFlipTest(evidence.diff, opts).p;
      const interval = signFlipInterval(evidence, 0.05, opts);
      expect(interval.patterns).toBe('all');
      expect(excludesZero(interval), `run ${run}: p = ${p}, [${interval.low}, ${interval.high}]`).toBe(p < 0.05);
      if (p < 0.05) rejected++;
    }
    expect(rejected).toBeGreaterThan(50);
  });

  it('is unbounded on 1 to 5 images at α = 0.05 (the smallest p is 2/2^G), where the old bootstrap interval was a point', () => {
    // one image, 6 questions, B loses one: the bootstrap gave [-16.67, -16.67]
    for (const images of [1, 3, 5]) {
      const evidence = { diff: new Float64Array(images).fill(-1), count: new Float64Array(images).fill(6) };
      expect(signFlipInterval(evidence, 0.05, opts)).toMatchObject({ low: -Infinity, high: Infinity });
    }
    const six = { diff: new Float64Array(6).fill(-1), count: new Float64Array(6).fill(6) };
    const bounded = signFlipInterval(six, 0.05, opts);
    expect(Number.isFinite(bounded.low) && Number.isFinite(bounded.high)).toBe(true);
  });

  it('has ends at which the shifted test sits at α (normal approximation from 200 images)', () => {
    const evidence = clusteredNull(seededRandom(9), 400);
    const interval = signFlipInterval(evidence, 0.05, opts);
    expect(interval.patterns).toBe('normal');
    for (const end of [interval.low, interval.high]) {
      const e = shiftedResiduals(evidence, end);
      const z = e.reduce((s, x) => s + x, 0) / Math.sqrt(e.reduce((s, x) => s + x * x, 0));
      expect(Math.abs(z)).toBeCloseTo(normalQuantile(0.975), 6);
    }
  });

  it('covers the truth at its level over 8 and 25 images of a clustered null (the bootstrap excluded 0 in 10.5% at 8)', () => {
    for (const images of [8, 15, 25]) {
      const rand = seededRandom(images);
      let excluded = 0;
      const runs = 600;
      for (let run = 0; run < runs; run++) if (excludesZero(signFlipInterval(clusteredNull(rand, images), 0.05, opts))) excluded++;
      expect(excluded / runs, `${images} images`).toBeLessThanOrEqual(0.07);
    }
  });
});

describe('one-sided tails of the sign-flip statistic', () => {
  it('add up with the two-sided value by symmetry', () => {
    const d = [3, -1, 2, 2, -1, 4, 1, 1];
    const t = signFlipTails(d, opts);
    expect(t.method).toBe('sign-flip-exact');
    expect(t.twoSided).toBeCloseTo(2 * Math.min(t.lower, t.upper), 12);
    // off the lattice, enumerated: the same identities
    const off = signFlipTails(
      d.map((x) => x * Math.SQRT2 + 0.01),
      opts,
    );
    expect(off.twoSided).toBeCloseTo(2 * Math.min(off.lower, off.upper), 12);
    expect(off.lower + off.upper).toBeGreaterThanOrEqual(1);
  });

  it('tests a shifted null: residuals all below the shift give the smallest lower tail', () => {
    const evidence = { diff: Float64Array.from([-3, -4, -3, -5, -4, -3, -4, -3]), count: new Float64Array(8).fill(10) };
    // Δ = -0.3625 per item; against "Δ ≥ -0.2" every residual is negative: p = 1/256
    expect(signFlipTails(shiftedResiduals(evidence, -0.2), opts).lower).toBeCloseTo(1 / 256, 12);
    // against "Δ ≥ -0.5" the data are no evidence of a larger drop
    expect(signFlipTails(shiftedResiduals(evidence, -0.5), opts).lower).toBe(1);
  });
});
