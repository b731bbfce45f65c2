import { erfc, normalQuantile } from './normal.js';
import { seededRandom } from './stats.js';

/**
 * The sign-flip (randomisation) test over clusters, and everything built from it: the two-sided test
 * of "no difference", one-sided tests of "the difference is at least θ" (the gate), and the interval
 * of Δ that inverts the test (so the interval and the test are one inference and cannot disagree
 * beyond Monte Carlo error). Under the null, swapping A and B within a cluster (an image) leaves the
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
const SIGN_FLIP_ENUMERATE_LIMIT = 16;
/** From this many clusters, residuals off a lattice use the normal approximation. */
const SIGN_FLIP_NORMAL_FROM = 200;
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

/** Σ over the clusters, for the mean Δ = Σd / Σn. */
function totals(evidence: ClusterEvidence): { d: number; n: number } {
  let d = 0;
  let n = 0;
  for (let i = 0; i < evidence.diff.length; i++) {
    d += evidence.diff[i]!;
    n += evidence.count[i]!;
  }
  return { d, n };
}

export interface InvertedInterval {
  /** Per-item units; ±Infinity when the test cannot reject any shift on that side (too few images). */
  low: number;
  high: number;
  method: 'sign-flip-inversion';
  /** How the patterns were counted: all of them, seeded random ones, or the normal approximation. */
  patterns: 'all' | 'monte-carlo' | 'normal';
}

/** The (1 − α) set of shifts the normal approximation does not reject: (D − θN)² ≤ z²·Σ(d_c − θn_c)², a quadratic in θ. */
function normalInversion(evidence: ClusterEvidence, alpha: number): { low: number; high: number } {
  const z2 = normalQuantile(1 - alpha / 2) ** 2;
  const { d: D, n: N } = totals(evidence);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < evidence.diff.length; i++) {
    const d = evidence.diff[i]!;
    const n = evidence.count[i]!;
    s0 += d * d;
    s1 += d * n;
    s2 += n * n;
  }
  const a = N * N - z2 * s2;
  const b = -2 * (D * N - z2 * s1);
  const c = D * D - z2 * s0;
  // a ≤ 0: one cluster dominates, and no shift can be rejected however far
  if (a <= 0) return { low: -Infinity, high: Infinity };
  const root = Math.sqrt(Math.max(0, b * b - 4 * a * c));
  return { low: (-b - root) / (2 * a), high: (-b + root) / (2 * a) };
}

/**
 * The interval of Δ that inverts the sign-flip test: every shift θ at which the test of "Δ = θ" has
 * p ≥ α. For a fixed sign pattern ε the statistic Σ ε_c(d_c − θn_c) = A − θB is linear in θ, so the
 * shifts at which the pattern is as extreme as the observed D − θN form one interval (the roots of a
 * quadratic); p(θ) counts the intervals that cover θ, and one sweep over their ends finds where it
 * stays at or above α. The patterns are all of them up to 16 clusters, the test's seeded random ones
 * below 200, and from 200 the normal approximation's quadratic. With G clusters the smallest p is
 * 2/2^G, so up to 5 images at α = 0.05 the interval is unbounded: few images cannot show anything.
 */
export function signFlipInterval(evidence: ClusterEvidence, alpha: number, opts: SignFlipOptions): InvertedInterval {
  const G = evidence.diff.length;
  if (G >= SIGN_FLIP_NORMAL_FROM) return { ...normalInversion(evidence, alpha), method: 'sign-flip-inversion', patterns: 'normal' };
  const { d: D, n: N } = totals(evidence);
  const enumerate = G <= SIGN_FLIP_ENUMERATE_LIMIT;
  const { lows, highs, always } = enumerate ? enumeratedPatterns(evidence, D, N) : randomPatterns(evidence, D, N, opts);
  // p(θ) = (always + covering) / patterns, or (1 + always + covering) / (draws + 1) for random patterns
  const total = enumerate ? 2 ** Math.max(0, G - 1) : opts.iterations + 1;
  const fixed = enumerate ? always : always + 1;
  const needed = alpha * total - fixed - 1e-9;
  const result = { method: 'sign-flip-inversion' as const, patterns: enumerate ? ('all' as const) : ('monte-carlo' as const) };
  if (needed <= 0) return { ...result, low: -Infinity, high: Infinity };
  const { low, high } = coveredAtLeast(lows, highs, needed);
  // Δ̂ = D/N makes every pattern extreme, so it is always inside; guard against rounding at the ends
  const estimate = D / N;
  return {
    ...result,
    low: Number.isNaN(low) ? estimate : Math.min(low, estimate),
    high: Number.isNaN(high) ? estimate : Math.max(high, estimate),
  };
}

interface PatternIntervals {
  /** Ends of the shift intervals over which each pattern is as extreme as the data. */
  lows: Float64Array;
  highs: Float64Array;
  /** Patterns extreme at every shift (every sign the same). */
  always: number;
}

/** Collects one pattern's interval from its sums A = Σε·d and B = Σε·n: where (A − θB)² ≥ (D − θN)². */
function collector(capacity: number, D: number, N: number) {
  const lows = new Float64Array(capacity);
  const highs = new Float64Array(capacity);
  let size = 0;
  let always = 0;
  return {
    add(A: number, B: number): void {
      // a concave quadratic in θ unless every sign is the same
      const c2 = B * B - N * N;
      const c1 = -2 * (A * B - D * N);
      const c0 = A * A - D * D;
      if (c2 >= -1e-12 * N * N) {
        always++;
        return;
      }
      const disc = c1 * c1 - 4 * c2 * c0;
      if (disc < 0) return;
      const root = Math.sqrt(disc);
      const x1 = (-c1 + root) / (2 * c2);
      const x2 = (-c1 - root) / (2 * c2);
      lows[size] = Math.min(x1, x2);
      highs[size++] = Math.max(x1, x2);
    },
    done: (): PatternIntervals => ({ lows: lows.subarray(0, size), highs: highs.subarray(0, size), always }),
  };
}

/** Every pattern with the first cluster's sign fixed (each stands for its ± pair), in Gray-code order: one sign changes per step. */
function enumeratedPatterns(evidence: ClusterEvidence, D: number, N: number): PatternIntervals {
  const G = evidence.diff.length;
  const patterns = 2 ** Math.max(0, G - 1);
  const out = collector(patterns, D, N);
  const sign = new Int8Array(G).fill(1);
  let A = D;
  let B = N;
  out.add(A, B);
  for (let r = 1; r < patterns; r++) {
    // the bit that changes between Gray codes r − 1 and r is r's lowest set bit
    const i = 1 + Math.log2(r & -r);
    sign[i] = -sign[i]! as 1 | -1;
    A += 2 * sign[i]! * evidence.diff[i]!;
    B += 2 * sign[i]! * evidence.count[i]!;
    out.add(A, B);
  }
  return out.done();
}

/** The test's seeded random patterns (`iterations` of them; the observed one is added as in the p-value). */
function randomPatterns(evidence: ClusterEvidence, D: number, N: number, opts: SignFlipOptions): PatternIntervals {
  const rand = seededRandom(opts.seed);
  const out = collector(opts.iterations, D, N);
  for (let r = 0; r < opts.iterations; r++) {
    let A = 0;
    let B = 0;
    for (let i = 0; i < evidence.diff.length; i++) {
      const flip = rand() < 0.5;
      A += flip ? -evidence.diff[i]! : evidence.diff[i]!;
      B += flip ? -evidence.count[i]! : evidence.count[i]!;
    }
    out.add(A, B);
  }
  return out.done();
}

/** The hull of the shifts covered by at least `needed` of the closed intervals [lows[i], highs[i]] (NaN ends when none is). */
function coveredAtLeast(lows: Float64Array, highs: Float64Array, needed: number): { low: number; high: number } {
  lows.sort();
  highs.sort();
  let covering = 0;
  let low = NaN;
  let high = NaN;
  let i = 0;
  let j = 0;
  while (i < lows.length || j < highs.length) {
    // a closed interval covers its ends: at one position, openings before closings
    if (i < lows.length && lows[i]! <= highs[j]!) {
      covering++;
      if (covering >= needed && Number.isNaN(low)) low = lows[i]!;
      i++;
    } else {
      if (covering >= needed) high = highs[j]!;
      covering--;
      j++;
    }
  }
  return { low, high };
}
