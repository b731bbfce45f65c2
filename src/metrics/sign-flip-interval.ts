import { normalQuantile } from './normal.js';
import { SIGN_FLIP_ENUMERATE_LIMIT, SIGN_FLIP_NORMAL_FROM, type ClusterEvidence, type SignFlipOptions } from './sign-flip.js';
import { seededRandom } from './stats.js';

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
