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
  /** With B better by a true Δ (10 points; 1 for sparse): share whose interval covers it (not for the skewed null). */
  coverage?: number;
  /** With that true Δ taken as the no-change margin: share called "no change" (interval within ±margin, test not rejecting): an error. */
  noChangeError?: number;
  /** A non-inferiority rule with maxDrop twice that Δ: share of null runs (true Δ 0) in which it passes: power. */
  nonInferiorPasses: number;
  /** The same rule when the true drop is exactly maxDrop: share in which it passes: an error, ≤ α wanted. */
  nonInferiorError?: number;
}

const ALPHA = 0.05;
const stats = { seed: 17, iterations: 999 };

/** The true Δ a shift gives for a shape: the expected difference per question (probabilities are clipped to [0, 1]). */
function truthOf(shape: NullShape, shift: number): number {
  if (shape === 'soft-scores') return expectedSoftShift(shift);
  if (shape === 'sparse') return shift;
  return overFavour((f) => Math.min(1, Math.max(0, 0.5 + f + shift)) - Math.min(1, Math.max(0, 0.5 - f)));
}

/** The mean of g(favour) over the per-image favour, uniform on [−0.4, 0.4]. */
function overFavour(g: (favour: number) => number): number {
  const steps = 400;
  let total = 0;
  for (let i = 0; i < steps; i++) total += g(((i + 0.5) / steps - 0.5) * 0.8);
  return total / steps;
}

/** The error rates of the test, its interval, "no change" and non-inferiority at one size and null shape. */
export function smallSampleFigure(shape: NullShape, images: number, runs: number, seed = 1): SmallSampleFigure {
  const rand = seededRandom(seed * 1000 + images);
  const binary = shape === 'clustered' || shape === 'sparse';
  // the effect sizes: 10 points per question (1 for runs that rarely disagree); the skewed null has only its null
  const step = shape === 'sparse' ? 0.01 : 0.1;
  const truth = truthOf(shape, step);
  const maxDrop = shape === 'skewed' ? 0.2 : -truthOf(shape, -2 * step);
  const tally = { rejected: 0, excluded: 0, nonInferior: 0, covered: 0, noChange: 0, nonInferiorError: 0 };
  for (let run = 0; run < runs; run++) {
    const evidence = drawEvidence(rand, images, shape);
    if (signFlipTails(evidence.diff, stats).twoSided < ALPHA) tally.rejected++;
    const interval = pairedDeltaInterval(evidence, ALPHA, stats, binary);
    if (interval.low > 0 || interval.high < 0) tally.excluded++;
    if (shiftedTails(evidence, -maxDrop, stats, binary).upper < ALPHA) tally.nonInferior++;
    if (shape === 'skewed') continue;
    const shifted = drawEvidence(rand, images, shape, step);
    const i = pairedDeltaInterval(shifted, ALPHA, stats, binary);
    if (i.low <= truth && truth <= i.high) tally.covered++;
    if (i.low >= -truth && i.high <= truth && signFlipTails(shifted.diff, stats).twoSided >= ALPHA) tally.noChange++;
    // a true drop of exactly maxDrop: non-inferiority must not be shown
    const dropped = drawEvidence(rand, images, shape, -2 * step);
    if (shiftedTails(dropped, -maxDrop, stats, binary).upper < ALPHA) tally.nonInferiorError++;
  }
  const rate = (k: number) => k / runs;
  return {
    shape,
    images,
    runs,
    pBelowAlpha: rate(tally.rejected),
    intervalExcludesZero: rate(tally.excluded),
    nonInferiorPasses: rate(tally.nonInferior),
    ...(shape === 'skewed'
      ? {}
      : { coverage: rate(tally.covered), noChangeError: rate(tally.noChange), nonInferiorError: rate(tally.nonInferiorError) }),
  };
}

/** E[score(0.5 + f/2 + shift) − score(0.5 − f/2)] for the soft scores above, over the favour f. */
function expectedSoftShift(shift: number): number {
  const mean = (p: number) => {
    // score = min(Binomial(4, p), 3) / 3
    const q = Math.min(1, Math.max(0, p));
    const pmf = [0, 1, 2, 3, 4].map((k) => [1, 4, 6, 4, 1][k]! * q ** k * (1 - q) ** (4 - k));
    return pmf.reduce((s, w, k) => s + (w * Math.min(k, 3)) / 3, 0);
  };
  return overFavour((f) => mean(0.5 + f / 2 + shift) - mean(0.5 - f / 2));
}
