import type { FamilyEntry } from '../metrics/types.js';

export type TestMethod =
  'mcnemar-exact' | 'mcnemar-chi-square-cc' | 'sign-flip-exact' | 'sign-flip-monte-carlo' | 'sign-flip-normal' | 'permutation' | 'none';

/**
 * better / worse: the adjusted test rejects "no difference" (changed, for a neutral metric); no change:
 * not significant and the interval of Δ lies within ±margin; inconclusive: neither (too few items to
 * tell); too few images: fewer than the minimum (`--min-images`) for any verdict; not tested: no
 * paired test applies.
 */
export type Verdict = 'better' | 'worse' | 'changed' | 'no change' | 'inconclusive' | 'too few images' | 'not tested';

/** One metric on one category, A against B on the same items. */
export interface ComparisonRow {
  metric: string;
  category: string;
  higherIsBetter: boolean;
  n: number;
  a: number | null;
  b: number | null;
  /** B - A in the metric's units (points for percentages). */
  delta: number | null;
  /**
   * The shifts of Δ the paired test does not reject at α (its inversion: metrics/sign-flip.ts), so the
   * interval excludes 0 exactly when the unadjusted test rejects (up to Monte Carlo error). ±Infinity
   * (null in JSON) when too few images can rule nothing out on that side.
   */
  deltaInterval?: {
    low: number;
    high: number;
    method: 'sign-flip-inversion';
    confidence: number;
    patterns: 'all' | 'monte-carlo' | 'normal';
    seed: number;
    iterations: number;
    clusters: number;
  };
  /** Cluster-robust (CR1) standard error of Δ, in the metric's units. */
  standardError?: number;
  test?: { method: TestMethod; p: number; clusters?: number; discordant?: { aOnly: number; bOnly: number } };
  /** How the p-value was adjusted: the overall row is the primary test (alone); other rows by Holm within their family. */
  adjustment?: { family: string; method: 'none' | 'holm'; tests: number };
  pAdjusted?: number;
  /** The smallest true Δ the test finds 80% of the time at the row's strictest level (α / tests in its family). */
  minimumDetectableEffect?: number;
  /** |Δ| up to this counts as no change (metric units). */
  margin?: number;
  significant: boolean;
  verdict: Verdict;
  note?: string;
}

export interface Comparison {
  a: { dir: string; name: string };
  b: { dir: string; name: string };
  dataset: { id: string; sha256: string };
  items: { compared: number; onlyInA: number; onlyInB: number };
  signPatterns: { seed: number; iterations: number };
  alpha: number;
  /** Images a row needs for a verdict. */
  minImages: number;
  rows: ComparisonRow[];
  /** Which categories of `rows` form which family, and which tables show by default. */
  families: FamilyEntry[];
  /** Differences between the runs that the comparison allows but a reader should know of. */
  notes: string[];
}
