import { erfc } from './normal.js';
import { tQuantile } from './t-distribution.js';

export { erfc, normalQuantile } from './normal.js';

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

/**
 * The smallest true difference (in per-item units) a two-sided test at `alpha` finds with the given
 * power, from the cluster-robust standard error over G clusters: (t₁₋α/₂ + t_power) · SE with G − 1
 * degrees of freedom (z quantiles with `clusters` omitted). Over few images the t quantiles are what
 * keep it honest: at 8 images the factor is 3.26, not 2.80.
 */
export function minimumDetectableEffect(standardError: number, alpha: number, power = 0.8, clusters = Infinity): number {
  const df = clusters - 1;
  if (!(df >= 1)) return Infinity;
  return (tQuantile(1 - alpha / 2, df) + tQuantile(power, df)) * standardError;
}

/**
 * Cluster-robust standard error of the mean difference with the small-sample factor (CR1):
 * √(G/(G−1) · Σ_c (d_c − n_c·Δ)²) / n over the G clusters with items; NaN with fewer than 2.
 */
export function clusterStandardError(diff: ArrayLike<number>, count: ArrayLike<number>): number {
  let n = 0;
  let sum = 0;
  let clusters = 0;
  for (let i = 0; i < diff.length; i++) {
    n += count[i]!;
    sum += diff[i]!;
    if (count[i]! > 0) clusters++;
  }
  if (n === 0 || clusters < 2) return NaN;
  const delta = sum / n;
  let ss = 0;
  for (let i = 0; i < diff.length; i++) if (count[i]! > 0) ss += (diff[i]! - count[i]! * delta) ** 2;
  return Math.sqrt((clusters / (clusters - 1)) * ss) / n;
}
