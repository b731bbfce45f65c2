import { quantile, seededRandom } from './stats.js';

/** Discordant-pair count above which McNemar uses the continuity-corrected chi-square instead of the exact test. */
export const MCNEMAR_EXACT_LIMIT = 200;

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/** P(X <= k) for X ~ Binomial(n, 1/2), summed in log space so large n stays exact enough. */
export function binomialCdfHalf(k: number, n: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  const logs: number[] = [];
  for (let i = 0; i <= k; i++) logs.push(logChoose(n, i) - n * Math.LN2);
  const max = Math.max(...logs);
  return Math.min(1, Math.exp(max) * logs.reduce((s, l) => s + Math.exp(l - max), 0));
}

/** Complementary error function (Numerical Recipes' erfcc; relative error below 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

export interface McNemarResult {
  /** A right, B wrong. */
  b: number;
  /** A wrong, B right. */
  c: number;
  p: number;
  method: 'exact' | 'chi-square-cc' | 'none';
}

/** McNemar's test on the discordant counts: exact two-sided binomial, or chi-square with continuity correction when large. */
export function mcnemar(b: number, c: number, exactLimit = MCNEMAR_EXACT_LIMIT): McNemarResult {
  const n = b + c;
  if (n === 0) return { b, c, p: 1, method: 'none' };
  if (n <= exactLimit) return { b, c, p: Math.min(1, 2 * binomialCdfHalf(Math.min(b, c), n)), method: 'exact' };
  // the continuity correction never takes |b - c| below 0: b = c is no evidence at all (p = 1)
  const chi2 = Math.max(0, Math.abs(b - c) - 1) ** 2 / n;
  return { b, c, p: chi2 === 0 ? 1 : erfc(Math.sqrt(chi2 / 2)), method: 'chi-square-cc' };
}

/** Holm's step-down adjustment; returns adjusted p-values in the input order. */
export function holm(ps: readonly number[]): number[] {
  const order = ps.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const adjusted = new Array<number>(ps.length);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (ps.length - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}

export interface PairedCluster {
  sumA: number;
  sumB: number;
  count: number;
}

/** Cluster indices of every bootstrap replicate: `iterations` rows of `k` draws with replacement. */
export function drawClusters(k: number, opts: { seed: number; iterations: number }): Int32Array {
  const rand = seededRandom(opts.seed);
  const draws = new Int32Array(k * opts.iterations);
  for (let i = 0; i < draws.length; i++) draws[i] = (rand() * k) | 0;
  return draws;
}

/**
 * Paired bootstrap of the difference of means (B - A) from per-cluster sums, given the replicates'
 * cluster draws (shared by every category of a comparison, so all categories see the same
 * resampled images). Clusters absent from a category have count 0. Returns the 95% percentile
 * interval and a two-sided bootstrap p-value for "no change".
 */
export function pairedBootstrapFromDraws(
  diff: Float64Array,
  count: Float64Array,
  draws: Int32Array,
  iterations: number,
): { low: number; high: number; p: number } {
  const k = diff.length;
  const deltas: number[] = [];
  let below = 0;
  let above = 0;
  for (let it = 0; it < iterations; it++) {
    let d = 0;
    let n = 0;
    const base = it * k;
    for (let i = 0; i < k; i++) {
      const j = draws[base + i]!;
      d += diff[j]!;
      n += count[j]!;
    }
    if (n === 0) continue;
    const delta = d / n;
    deltas.push(delta);
    if (delta <= 0) below++;
    if (delta >= 0) above++;
  }
  if (deltas.length === 0) return { low: NaN, high: NaN, p: 1 };
  deltas.sort((x, y) => x - y);
  return { low: quantile(deltas, 0.025), high: quantile(deltas, 0.975), p: Math.min(1, (2 * Math.min(below, above)) / deltas.length) };
}

/** Paired cluster bootstrap of one set of clusters (draws made here). */
export function pairedClusterBootstrap(
  clusters: readonly PairedCluster[],
  opts: { seed: number; iterations: number },
): { low: number; high: number; p: number } {
  if (clusters.length === 0) return { low: NaN, high: NaN, p: 1 };
  const diff = Float64Array.from(clusters, (c) => c.sumB - c.sumA);
  const count = Float64Array.from(clusters, (c) => c.count);
  return pairedBootstrapFromDraws(diff, count, drawClusters(clusters.length, opts), opts.iterations);
}

export type SignFlipMethod = 'sign-flip-exact' | 'sign-flip-monte-carlo' | 'sign-flip-normal';

/** Clusters whose signs are enumerated one pattern at a time (2^12 = 4,096 patterns), when their differences are not on a lattice. */
const SIGN_FLIP_ENUMERATE_LIMIT = 12;
/** From this many clusters with a difference on, differences off a lattice use the normal approximation. */
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

/**
 * The exact two-sided sign-flip p-value of whole-number differences: the distribution of Σ ±|s_c| over
 * all 2^m sign patterns, by convolving one cluster at a time (no pattern is drawn at random, so no
 * Monte Carlo floor caps a small p-value, however many clusters there are).
 */
function convolvedSignFlip(steps: readonly number[]): number {
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
  const observed = Math.abs(steps.reduce((a, b) => a + b, 0));
  let p = 0;
  for (let t = 0; t <= 2 * span; t++) if (Math.abs(t - span) >= observed) p += dist[t]!;
  // far in the tail the sum underflows; a p-value is never 0
  return Math.min(1, Math.max(Number.MIN_VALUE, p));
}

/**
 * Paired test of "no difference" that respects clustering: under the null, swapping A and B within a
 * cluster (an image) leaves the distribution unchanged, so every sign pattern of the clusters'
 * differences d_c = Σ(B − A) is equally likely. The p-value is the share of patterns whose |Σ ± d_c|
 * reaches the observed |Σ d_c| (ties count whole: the conventional, not the mid-p, value; under a
 * skewed null, where the symmetry the test assumes holds only approximately, mid-p rejected 10.3% at
 * 25 images for a 5% test, the whole-tie value 3.2%; docs/scoring.md).
 *
 * Differences on a lattice (0/1 scores: whole numbers; VQA's soft scores: thirds) get the exact
 * distribution by convolution at any number of clusters; others are enumerated for a few clusters,
 * drawn at random (`iterations` seeded patterns) for a few hundred, and from the normal approximation
 * z = Σ d_c / √(Σ d_c²) beyond (for 0/1 scores this is the clustered McNemar statistic of Durkalski et
 * al. 2003). With clusters of one question and 0/1 scores the exact version is McNemar's exact test.
 */
export function signFlipTest(
  clusterDiffs: ArrayLike<number>,
  opts: { seed: number; iterations: number },
): { p: number; method: SignFlipMethod } {
  const d = Array.from(clusterDiffs).filter((x) => x !== 0);
  const m = d.length;
  const observed = Math.abs(d.reduce((s, x) => s + x, 0));
  const tolerance = 1e-9 * (1 + observed);
  // no difference at all: every pattern is as extreme, and there is no evidence to weigh
  if (observed <= tolerance) return { p: 1, method: 'sign-flip-exact' };
  const steps = latticeSteps(d);
  if (steps) {
    const span = steps.reduce((a, s) => a + Math.abs(s), 0);
    if (m * span <= CONVOLUTION_WORK_LIMIT) return { p: convolvedSignFlip(steps), method: 'sign-flip-exact' };
  }
  const extreme = (t: number) => (Math.abs(t) >= observed - tolerance ? 1 : 0);
  if (m <= SIGN_FLIP_ENUMERATE_LIMIT) {
    let count = 0;
    for (let pattern = 0; pattern < 1 << m; pattern++) {
      let t = 0;
      for (let i = 0; i < m; i++) t += pattern & (1 << i) ? -d[i]! : d[i]!;
      count += extreme(t);
    }
    return { p: count / (1 << m), method: 'sign-flip-exact' };
  }
  if (m < SIGN_FLIP_NORMAL_FROM) {
    const rand = seededRandom(opts.seed);
    let count = 0;
    for (let it = 0; it < opts.iterations; it++) {
      let t = 0;
      for (let i = 0; i < m; i++) t += rand() < 0.5 ? -d[i]! : d[i]!;
      count += extreme(t);
    }
    // the observed pattern is one of the patterns: it counts too, so p is never 0
    return { p: (1 + count) / (opts.iterations + 1), method: 'sign-flip-monte-carlo' };
  }
  const variance = d.reduce((s, x) => s + x * x, 0);
  // erfc underflows to 0 far in the tail; a p-value is never 0
  return { p: Math.max(Number.MIN_VALUE, erfc(observed / Math.sqrt(2 * variance))), method: 'sign-flip-normal' };
}

/** The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9 after one Newton step). */
export function normalQuantile(q: number): number {
  if (q <= 0) return -Infinity;
  if (q >= 1) return Infinity;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const e = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  let x: number;
  if (q < low) {
    const r = Math.sqrt(-2 * Math.log(q));
    x =
      (((((c[0]! * r + c[1]!) * r + c[2]!) * r + c[3]!) * r + c[4]!) * r + c[5]!) /
      ((((e[0]! * r + e[1]!) * r + e[2]!) * r + e[3]!) * r + 1);
  } else if (q > 1 - low) {
    const r = Math.sqrt(-2 * Math.log(1 - q));
    x =
      -(((((c[0]! * r + c[1]!) * r + c[2]!) * r + c[3]!) * r + c[4]!) * r + c[5]!) /
      ((((e[0]! * r + e[1]!) * r + e[2]!) * r + e[3]!) * r + 1);
  } else {
    const r = q - 0.5;
    const s = r * r;
    x =
      ((((((a[0]! * s + a[1]!) * s + a[2]!) * s + a[3]!) * s + a[4]!) * s + a[5]!) * r) /
      (((((b[0]! * s + b[1]!) * s + b[2]!) * s + b[3]!) * s + b[4]!) * s + 1);
  }
  // one Newton step on the normal CDF, through erfc
  const err = 0.5 * erfc(-x / Math.SQRT2) - q;
  return x - err * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
}

/**
 * The smallest true difference (in per-item units) a two-sided test at `alpha` finds with the given
 * power, from the cluster-robust standard error of the observed difference: (z₁₋α/₂ + z_power) · SE.
 */
export function minimumDetectableEffect(standardError: number, alpha: number, power = 0.8): number {
  return (normalQuantile(1 - alpha / 2) + normalQuantile(power)) * standardError;
}

/** Cluster-robust standard error of the mean difference: √(Σ_c (d_c − n_c·Δ)²) / n. */
export function clusterStandardError(diff: ArrayLike<number>, count: ArrayLike<number>): number {
  let n = 0;
  let sum = 0;
  for (let i = 0; i < diff.length; i++) {
    n += count[i]!;
    sum += diff[i]!;
  }
  if (n === 0) return NaN;
  const delta = sum / n;
  let ss = 0;
  for (let i = 0; i < diff.length; i++) if (count[i]! > 0) ss += (diff[i]! - count[i]! * delta) ** 2;
  return Math.sqrt(ss) / n;
}
