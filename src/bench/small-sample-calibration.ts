import { pairedDeltaInterval, shiftedTails } from '../metrics/sign-flip-interval.js';
import { signFlipTails, type ClusterEvidence } from '../metrics/sign-flip.js';
import { seededRandom } from '../metrics/stats.js';

/**
 * The paired statistics where few images carry a row (docs/scoring.md): per-image evidence is drawn
 * directly, under nulls the sign-flip test assumes (each image as likely to favour A as B) and one it
 * does not (a skewed null), and under a true difference for the interval's coverage.
 */

export type NullShape = 'clustered' | 'skewed' | 'soft-scores' | 'sparse';

/** One image's Σ(B − A) and question count under a null of the given shape, or with B better by `shift` per question. */
function drawImage(rand: () => number, shape: NullShape, shift: number): { d: number; n: number } {
  const n = 1 + Math.floor(rand() * 9);
  if (shape === 'sparse') {
    // runs that rarely disagree: 1.5% of questions each way, B gaining `shift` more
    let d = 0;
    for (let q = 0; q < n; q++) {
      const u = rand();
      d += u < 0.015 + shift / 2 ? 1 : u < 0.03 ? -1 : 0;
    }
    return { d, n };
  }
  if (shape === 'skewed') {
    // mean zero, far from symmetric: +4 with probability 0.2, else −1
    return { d: rand() < 0.2 ? 4 : -1, n };
  }
  // each image favours one model by a random amount, zero on average
  const favour = (rand() - 0.5) * 0.8;
  let d = 0;
  for (let q = 0; q < n; q++) {
    if (shape === 'soft-scores') {
      // VQA-style scores in thirds (min(humans agreeing / 3, 1))
      const score = (p: number) => Math.min(3, [0, 1, 2, 3].filter(() => rand() < p).length) / 3;
      d += score(0.5 + favour / 2 + shift) - score(0.5 - favour / 2);
    } else d += (rand() < 0.5 + favour + shift ? 1 : 0) - (rand() < 0.5 - favour ? 1 : 0);
  }
  return { d, n };
}

function drawEvidence(rand: () => number, images: number, shape: NullShape, shift = 0): ClusterEvidence {
  const diff = new Float64Array(images);
  const count = new Float64Array(images);
  for (let c = 0; c < images; c++) {
    const { d, n } = drawImage(rand, shape, shift);
    diff[c] = d;
    count[c] = n;
  }
  return { diff, count };
}

export interface SmallSampleFigure {
  shape: NullShape;
  images: number;
  runs: number;
  /** Under the null: share of runs whose two-sided p < α. */
  pBelowAlpha: number;
  /** Under the null: share whose interval excludes 0. */
  intervalExcludesZero: number;
  /** With B better by 10 points per question (1 for sparse): share whose interval covers the true Δ (not for the skewed null). */
  coverage?: number;
  /** Share of null runs in which a non-inferiority rule with maxDrop 20 points would pass (the test alone, no floor). */
  nonInferiorPasses: number;
}

const ALPHA = 0.05;
const stats = { seed: 17, iterations: 999 };

/** The error rates of the test, its interval and non-inferiority at one size and null shape. */
export function smallSampleFigure(shape: NullShape, images: number, runs: number, seed = 1): SmallSampleFigure {
  const rand = seededRandom(seed * 1000 + images);
  let rejected = 0;
  let excluded = 0;
  let nonInferior = 0;
  let covered = 0;
  for (let run = 0; run < runs; run++) {
    const evidence = drawEvidence(rand, images, shape);
    if (signFlipTails(evidence.diff, stats).twoSided < ALPHA) rejected++;
    const binary = shape === 'clustered' || shape === 'sparse';
    const interval = pairedDeltaInterval(evidence, ALPHA, stats, binary);
    if (interval.low > 0 || interval.high < 0) excluded++;
    // non-inferiority at maxDrop 0.2 per question: reject "Δ ≤ −0.2" one-sided
    if (shiftedTails(evidence, -0.2, stats, binary).upper < ALPHA) nonInferior++;
    if (shape !== 'skewed') {
      // a true shift: B right 10 points more often (1 point for sparse), or its scores 10 points higher on average (soft)
      const shift = shape === 'sparse' ? 0.01 : 0.1;
      const shifted = drawEvidence(rand, images, shape, shift);
      const truth = shape === 'soft-scores' ? expectedSoftShift() : shift;
      const i = pairedDeltaInterval(shifted, ALPHA, stats, binary);
      if (i.low <= truth && truth <= i.high) covered++;
    }
  }
  return {
    shape,
    images,
    runs,
    pBelowAlpha: rejected / runs,
    intervalExcludesZero: excluded / runs,
    ...(shape === 'skewed' ? {} : { coverage: covered / runs }),
    nonInferiorPasses: nonInferior / runs,
  };
}

/** E[score(0.5 + f/2 + 0.1) − score(0.5 − f/2)] for the soft scores above, by numerical integration over the favour f. */
function expectedSoftShift(): number {
  const mean = (p: number) => {
    // score = min(Binomial(4, p), 3) / 3
    const q = Math.min(1, Math.max(0, p));
    const pmf = [0, 1, 2, 3, 4].map((k) => [1, 4, 6, 4, 1][k]! * q ** k * (1 - q) ** (4 - k));
    return pmf.reduce((s, w, k) => s + (w * Math.min(k, 3)) / 3, 0);
  };
  let total = 0;
  const steps = 400;
  for (let i = 0; i < steps; i++) {
    const f = ((i + 0.5) / steps - 0.5) * 0.8;
    total += mean(0.5 + f / 2 + 0.1) - mean(0.5 - f / 2);
  }
  return total / steps;
}
