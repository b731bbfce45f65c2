import { normalQuantile } from './normal.js';
import {
  shiftedResiduals,
  SIGN_FLIP_ENUMERATE_LIMIT,
  SIGN_FLIP_NORMAL_FROM,
  signFlipTails,
  type ClusterEvidence,
  type SignFlipOptions,
} from './sign-flip.js';
import { seededRandom } from './stats.js';
import { tCdf, tQuantile } from './t-distribution.js';

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

/**
 * For 0/1 scores: the shifts an independent-question score test does not reject when the variance is
 * the least the null allows. If Δ = θ, at least a share |θ| of questions must disagree, so a question's
 * difference has variance at least |θ|(1 − |θ|); the set is {θ : (D − θN)² ≤ t²·N·|θ|(1 − |θ|)} (t with G − 1 degrees of freedom).
 *
 * Why it is needed: the sign-flip test assumes each image's residual d − θn is as likely negative as
 * positive. When the runs rarely disagree most images show d = 0, the residuals at θ ≠ 0 all share a
 * sign, and the inverted interval shrinks towards [0, 0] (at 8 images with 3% of questions
 * discordant it covered the true Δ 51% of the time). Taking the hull with this set keeps the interval
 * from claiming more than the number of questions allows (the rule of three, in effect), and leaves
 * the test of 0 alone: at θ = 0 the set holds only when D = 0, where p = 1 anyway.
 */
export function discordanceBound(evidence: ClusterEvidence, alpha: number): { low: number; high: number } {
  const { d: D, n: N } = totals(evidence);
  // t with G − 1 degrees of freedom: few images are few observations of the between-image spread
  const z2 = tQuantile(1 - alpha / 2, Math.max(1, evidence.diff.length - 1)) ** 2;
  // on each side of 0, (N² + z²N)θ² − (2DN ± z²N)θ + D² ≤ 0, with + for θ ≥ 0 and − for θ < 0
  const side = (sign: 1 | -1): [number, number] | undefined => {
    const a = N * N + z2 * N;
    const b = -(2 * D * N + sign * z2 * N);
    const disc = b * b - 4 * a * D * D;
    if (disc < 0) return undefined;
    const lo = (-b - Math.sqrt(disc)) / (2 * a);
    const hi = (-b + Math.sqrt(disc)) / (2 * a);
    const [from, to] = sign > 0 ? [Math.max(0, lo), Math.min(1, hi)] : [Math.max(-1, lo), Math.min(0, hi)];
    return from <= to ? [from, to] : undefined;
  };
  const parts = [side(1), side(-1)].filter((p): p is [number, number] => p !== undefined);
  const estimate = D / N;
  return { low: Math.min(estimate, ...parts.map((p) => p[0])), high: Math.max(estimate, ...parts.map((p) => p[1])) };
}

/**
 * One-sided p-values of "Δ = θ" against the same least-variance null: lower is small when D/N sits
 * clearly below θ. The gate takes the larger of this and the sign-flip p, for 0/1 scores.
 */
export function discordanceTails(evidence: ClusterEvidence, theta: number): { lower: number; upper: number } {
  const { d: D, n: N } = totals(evidence);
  const variance = N * Math.abs(theta) * (1 - Math.abs(theta));
  if (variance <= 0) return { lower: 1, upper: 1 };
  // t with G − 1 degrees of freedom, as the interval's bound
  const df = Math.max(1, evidence.diff.length - 1);
  const z = (D - theta * N) / Math.sqrt(variance);
  return { lower: tCdf(z, df), upper: tCdf(-z, df) };
}

/** The interval of Δ `compare` reports: the sign-flip inversion, widened for 0/1 scores to hold the discordance bound. */
export function pairedDeltaInterval(evidence: ClusterEvidence, alpha: number, opts: SignFlipOptions, binary: boolean): InvertedInterval {
  const inverted = signFlipInterval(evidence, alpha, opts);
  if (!binary) return inverted;
  const floor = discordanceBound(evidence, alpha);
  return { ...inverted, low: Math.min(inverted.low, floor.low), high: Math.max(inverted.high, floor.high) };
}

/**
 * One-sided p-values of "Δ = θ" as the gate uses them: the sign-flip test of the shifted residuals,
 * and for 0/1 scores the larger of that and the least-variance bound's (both must reject).
 */
export function shiftedTails(
  evidence: ClusterEvidence,
  theta: number,
  opts: SignFlipOptions,
  binary: boolean,
): { lower: number; upper: number } {
  const tails = signFlipTails(shiftedResiduals(evidence, theta), opts);
  if (!binary) return { lower: tails.lower, upper: tails.upper };
  const bound = discordanceTails(evidence, theta);
  return { lower: Math.max(tails.lower, bound.lower), upper: Math.max(tails.upper, bound.upper) };
}
