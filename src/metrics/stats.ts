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

/** Seed and count of the random sign patterns `compare` draws where its test is not exact (docs/scoring.md). */
export const DEFAULT_SIGN_PATTERNS = { seed: 20240901, iterations: 1000 } as const;
