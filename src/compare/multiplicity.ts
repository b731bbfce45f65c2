import { familyOf } from '../metrics/categories.js';
import { holm, minimumDetectableEffect } from '../metrics/paired.js';
import type { Metric } from '../metrics/types.js';
import type { ComparisonRow, Verdict } from './types.js';

/** Statistical power the minimum detectable effect is stated at. */
export const MDE_POWER = 0.8;

/**
 * Images a row needs for any verdict (`--min-images`). Below it the sign-flip test has few patterns and
 * leans entirely on the symmetry it assumes: under a skewed null (each image +4 with probability 0.2,
 * else −1) it rejects 16.8% at 8 images (all eight at −1 happens that often); at 10 images the
 * smallest two-sided p is 0.002, and a row gets "too few images" rather than a verdict below it.
 */
export const DEFAULT_MIN_IMAGES = 10;

/** Images (clusters) behind a paired row. */
export function imagesOf(row: ComparisonRow): number {
  return row.test?.clusters ?? row.deltaInterval?.clusters ?? 0;
}

function verdictOf(row: ComparisonRow, neutral: boolean, minImages: number): Verdict {
  if (!row.test || row.delta === null) return 'not tested';
  if (imagesOf(row) < minImages) return 'too few images';
  if (row.significant) {
    if (neutral) return 'changed';
    return row.delta * (row.higherIsBetter ? 1 : -1) > 0 ? 'better' : 'worse';
  }
  const i = row.deltaInterval;
  if (row.margin !== undefined && i && i.low >= -row.margin && i.high <= row.margin) return 'no change';
  return 'inconclusive';
}

export interface JudgeOptions {
  alpha: number;
  /** |Δ| up to this is "no change" (default: the metric's own margin). */
  margin?: number;
  minImages: number;
}

/**
 * Adjusts one metric's rows for multiple testing and gives each its verdict. The overall row is the
 * primary question and is tested alone at α; every other row is adjusted by Holm within the family
 * its metric puts it in (GQA: structural types, semantic types, detailed types, steps, length), so a
 * family of 5 structural types does not pay for 40 detailed ones. With several candidates against one
 * baseline, each family spans every candidate's rows (the overall rows form one family of their own).
 * Rows on fewer than `minImages` images get no verdict and take no share of their family's α.
 */
export function adjustAndJudge(metric: Metric, rowsPerCandidate: readonly ComparisonRow[][], opts: JudgeOptions): void {
  const { alpha, minImages } = opts;
  const byFamily = new Map<string, ComparisonRow[]>();
  for (const rows of rowsPerCandidate) {
    for (const r of rows) {
      if (!r.test || imagesOf(r) < minImages) continue;
      const family = r.category === 'overall' ? 'overall' : familyOf(metric, r.category);
      byFamily.set(family, [...(byFamily.get(family) ?? []), r]);
    }
  }
  for (const [family, tested] of byFamily) {
    const alone = tested.length === 1;
    const adjusted = alone ? [tested[0]!.test!.p] : holm(tested.map((r) => r.test!.p));
    tested.forEach((r, i) => {
      r.adjustment = { family, method: alone ? 'none' : 'holm', tests: tested.length };
      r.pAdjusted = adjusted[i]!;
      r.significant = r.pAdjusted < alpha && r.delta !== 0;
      if (r.standardError !== undefined && Number.isFinite(r.standardError)) {
        r.minimumDetectableEffect = minimumDetectableEffect(r.standardError, alpha / tested.length, MDE_POWER, imagesOf(r));
      }
    });
  }
  const margin = opts.margin ?? metric.perSample?.margin ?? (metric.perSample?.scale === 100 ? 1 : undefined);
  for (const r of rowsPerCandidate.flat()) {
    if (r.test && margin !== undefined) r.margin = margin;
    r.verdict = verdictOf(r, Boolean(metric.neutral), minImages);
  }
}
