import { erfc } from './normal.js';
import { seededRandom } from './stats.js';

/**
 * The sign-flip (randomisation) test over clusters, and everything built from it: the two-sided test
 * of "no difference", one-sided tests of "the difference is at least θ" (the gate), and the interval
 * of Δ that inverts the test (so the interval and the test are one inference and cannot disagree
 * beyond Monte Carlo error; sign-flip-interval.ts). Under the null, swapping A and B within a cluster (an image) leaves the
 * distribution unchanged, so every sign pattern of the clusters' residuals e_c = d_c − θ·n_c is
 * equally likely (d_c = Σ(B − A) over the cluster's n_c items).
 */

export type SignFlipMethod = 'sign-flip-exact' | 'sign-flip-monte-carlo' | 'sign-flip-normal';

export interface SignFlipOptions {
  seed: number;
  iterations: number;
}

/** One category's paired evidence: per cluster (image) present in it, Σ(B − A) and the number of items, in per-item units. */
export interface ClusterEvidence {
  diff: Float64Array;
  count: Float64Array;
}

/** Clusters whose sign patterns are enumerated, every one (2^16 = 65,536 patterns), when their residuals are not on a lattice. */
export const SIGN_FLIP_ENUMERATE_LIMIT = 16;
/** From this many clusters, residuals off a lattice use the normal approximation. */
export const SIGN_FLIP_NORMAL_FROM = 200;
/** Work (clusters x lattice span) up to which the exact distribution is convolved: about 0.1 s at most. */
const CONVOLUTION_WORK_LIMIT = 5e7;
/** Denominators tried for a common unit of the differences: 0/1 scores give whole numbers, VQA's soft scores thirds. */
const LATTICE_DENOMINATORS = [1, 2, 3, 4, 5, 6, 8, 10, 12];

/** The differences as whole multiples of one unit, when they are: 0/1 scores (unit 1), VQA's thirds (unit 1/3). */
export function latticeSteps(d: readonly number[]): number[] | undefined {
  for (const k of LATTICE_DENOMINATORS) {
    const steps = d.map((x) => Math.round(x * k));
    if (steps.every((s, i) => Math.abs(s - d[i]! * k) <= 1e-9 * (1 + Math.abs(s)))) return steps;
  }
  return undefined;
}

/** Tail probabilities of the sign-flip statistic T = Σ ±e_c at its observed value t = Σ e_c (ties count whole). */
export interface SignFlipTails {
  /** P(|T| ≥ |t|): the two-sided p-value of "no difference". */
  twoSided: number;
  /** P(T ≤ t): small when the residuals are shown to be negative (Δ below the shift). */
  lower: number;
  /** P(T ≥ t): small when they are shown to be positive. */
  upper: number;
  method: SignFlipMethod;
}

/** A p-value is never 0: far in a tail sums underflow. */
const positive = (p: number) => Math.min(1, Math.max(Number.MIN_VALUE, p));

/**
 * The exact distribution of Σ ±s_c over all 2^m sign patterns of whole-number steps, by convolving one
 * cluster at a time (no pattern drawn at random, so no Monte Carlo floor caps a small p-value).
 */
function convolvedTails(steps: readonly number[]): Omit<SignFlipTails, 'method'> {
  const abs = steps.map((s) => Math.abs(s));
  const span = abs.reduce((a, b) => a + b, 0);
  let dist = new Float64Array(2 * span + 1);
  let next = new Float64Array(2 * span + 1);
  dist[span] = 1;
  let reach = 0;
  for (const a of abs) {
    next.fill(0, span - reach - a, span + reach + a + 1);
    for (let t = span - reach; t <= span + reach; t++) {
      const q = dist[t]!;
      if (q === 0) continue;
      next[t + a] += q / 2;
      next[t - a] += q / 2;
    }
    reach += a;
    [dist, next] = [next, dist];
  }
  const observed = steps.reduce((a, b) => a + b, 0);
  let twoSided = 0;
  let lower = 0;
  let upper = 0;
  for (let t = 0; t <= 2 * span; t++) {
    const q = dist[t]!;
    if (Math.abs(t - span) >= Math.abs(observed)) twoSided += q;
    if (t - span <= observed) lower += q;
    if (t - span >= observed) upper += q;
  }
  return { twoSided: positive(twoSided), lower: positive(lower), upper: positive(upper) };
}

/**
 * The sign-flip tails of residuals e_c. Residuals on a lattice (0/1 scores at θ = 0: whole numbers;
 * VQA's soft scores: thirds) get the exact distribution by convolution at any number of clusters;
 * others are enumerated up to 16 clusters, drawn at random (`iterations` seeded patterns, p = (1 +
 * extreme) / (draws + 1), never 0) below 200, and from the normal approximation z = Σe / √(Σe²) beyond
 * (for 0/1 scores the clustered McNemar statistic of Durkalski et al. 2003).
 */
export function signFlipTails(residuals: ArrayLike<number>, opts: SignFlipOptions): SignFlipTails {
  const e = Array.from(residuals).filter((x) => x !== 0);
  const m = e.length;
  const t = e.reduce((s, x) => s + x, 0);
  const tolerance = 1e-9 * (1 + e.reduce((s, x) => s + Math.abs(x), 0));
  // nothing differs: every pattern is as extreme, there is no evidence either way
  if (m === 0) return { twoSided: 1, lower: 1, upper: 1, method: 'sign-flip-exact' };
  const steps = latticeSteps(e);
  if (steps) {
    const span = steps.reduce((a, s) => a + Math.abs(s), 0);
    if (m * span <= CONVOLUTION_WORK_LIMIT) return { ...convolvedTails(steps), method: 'sign-flip-exact' };
  }
  const absT = Math.abs(t);
  const tally = { twoSided: 0, lower: 0, upper: 0 };
  const count = (s: number) => {
    if (Math.abs(s) >= absT - tolerance) tally.twoSided++;
    if (s <= t + tolerance) tally.lower++;
    if (s >= t - tolerance) tally.upper++;
  };
  if (m <= SIGN_FLIP_ENUMERATE_LIMIT) {
    const patterns = 2 ** m;
    for (let pattern = 0; pattern < patterns; pattern++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += pattern & (1 << i) ? -e[i]! : e[i]!;
      count(s);
    }
    return {
      twoSided: tally.twoSided / patterns,
      lower: tally.lower / patterns,
      upper: tally.upper / patterns,
      method: 'sign-flip-exact',
    };
  }
  if (m < SIGN_FLIP_NORMAL_FROM) {
    const rand = seededRandom(opts.seed);
    for (let it = 0; it < opts.iterations; it++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += rand() < 0.5 ? -e[i]! : e[i]!;
      count(s);
    }
    // the observed pattern is one of the patterns: it counts too, so p is never 0
    const mc = (k: number) => (1 + k) / (opts.iterations + 1);
    return { twoSided: mc(tally.twoSided), lower: mc(tally.lower), upper: mc(tally.upper), method: 'sign-flip-monte-carlo' };
  }
  const z = t / Math.sqrt(e.reduce((s, x) => s + x * x, 0));
  return {
    twoSided: positive(erfc(Math.abs(z) / Math.SQRT2)),
    lower: positive(0.5 * erfc(-z / Math.SQRT2)),
    upper: positive(0.5 * erfc(z / Math.SQRT2)),
    method: 'sign-flip-normal',
  };
}

/**
 * The two-sided test of "no difference" from the clusters' differences d_c = Σ(B − A): the share of
 * sign patterns whose |Σ ± d_c| reaches the observed |Σ d_c|, ties counting whole (the conventional, not
 * the mid-p, value: under a skewed null, where the symmetry the test assumes holds only approximately,
 * mid-p rejected 10.3% at 25 images for a 5% test, whole ties 3.2%; docs/scoring.md). With clusters of
 * one question and 0/1 scores it is McNemar's exact test.
 */
export function signFlipTest(clusterDiffs: ArrayLike<number>, opts: SignFlipOptions): { p: number; method: SignFlipMethod } {
  const tails = signFlipTails(clusterDiffs, opts);
  return { p: tails.twoSided, method: tails.method };
}

/** The residuals e_c = d_c − θ·n_c of the null "Δ = θ" (θ in per-item units). */
export function shiftedResiduals(evidence: ClusterEvidence, theta: number): Float64Array {
  return evidence.diff.map((d, i) => d - theta * evidence.count[i]!);
}
