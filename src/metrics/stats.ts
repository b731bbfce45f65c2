import { seededRandom } from '../lib/random.js';

export { seededRandom };

/** Two-sided 95% normal quantile. */
export const Z95 = 1.959963984540054;

/** Wilson score interval for a proportion of `successes` out of `n` (as fractions, 0..1). */
export function wilsonInterval(successes: number, n: number, z = Z95): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

/** The q-quantile of sorted values, by linear interpolation (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export const DEFAULT_BOOTSTRAP = { seed: 20240901, iterations: 1000 } as const;

/**
 * Percentile interval of a ratio (sum of scores / count) under resampling whole clusters with
 * replacement: questions about one image are not independent, so the image is the unit resampled.
 */
export function clusterBootstrapRatio(
  clusters: ReadonlyArray<{ sum: number; count: number }>,
  opts: { seed: number; iterations: number } = DEFAULT_BOOTSTRAP,
): { low: number; high: number } {
  const k = clusters.length;
  if (k === 0) return { low: NaN, high: NaN };
  const rand = seededRandom(opts.seed);
  const stats: number[] = [];
  for (let b = 0; b < opts.iterations; b++) {
    let sum = 0;
    let count = 0;
    for (let i = 0; i < k; i++) {
      const c = clusters[Math.floor(rand() * k)]!;
      sum += c.sum;
      count += c.count;
    }
    if (count > 0) stats.push(sum / count);
  }
  stats.sort((x, y) => x - y);
  return { low: quantile(stats, 0.025), high: quantile(stats, 0.975) };
}
