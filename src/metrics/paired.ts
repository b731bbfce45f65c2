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
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
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
  const chi2 = (Math.abs(b - c) - 1) ** 2 / n;
  return { b, c, p: erfc(Math.sqrt(chi2 / 2)), method: 'chi-square-cc' };
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
export function pairedBootstrapFromDraws(diff: Float64Array, count: Float64Array, draws: Int32Array, iterations: number): { low: number; high: number; p: number } {
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
export function pairedClusterBootstrap(clusters: readonly PairedCluster[], opts: { seed: number; iterations: number }): { low: number; high: number; p: number } {
  if (clusters.length === 0) return { low: NaN, high: NaN, p: 1 };
  const diff = Float64Array.from(clusters, (c) => c.sumB - c.sumA);
  const count = Float64Array.from(clusters, (c) => c.count);
  return pairedBootstrapFromDraws(diff, count, drawClusters(clusters.length, opts), opts.iterations);
}
