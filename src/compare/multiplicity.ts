import { familyOf } from '../metrics/categories.js';
import { holm, minimumDetectableEffect } from '../metrics/paired.js';
import type { Metric } from '../metrics/types.js';
import type { ComparisonRow, Verdict } from './types.js';

/** Statistical power the minimum detectable effect is stated at. */
export const MDE_POWER = 0.8;

/** Images a row needs before its interval can show "no change": a bootstrap over fewer says little. */
export const NO_CHANGE_MIN_CLUSTERS = 10;

function verdictOf(row: ComparisonRow, neutral: boolean): Verdict {
  if (!row.test || row.delta === null) return 'not tested';
  if (row.significant) {
    if (neutral) return 'changed';
    return row.delta * (row.higherIsBetter ? 1 : -1) > 0 ? 'better' : 'worse';
  }
  const i = row.deltaInterval;
  if (row.margin !== undefined && i && i.clusters >= NO_CHANGE_MIN_CLUSTERS && i.low >= -row.margin && i.high <= row.margin)
    return 'no change';
  return 'inconclusive';
}

/**
 * Adjusts one metric's rows for multiple testing and gives each its verdict. The overall row is the
 * primary question and is tested alone at α; every other row is adjusted by Holm within the family
 * its metric puts it in (GQA: structural types, semantic types, detailed types, steps, length), so a
 * family of 5 structural types does not pay for 40 detailed ones. With several candidates against one
 * baseline, each family spans every candidate's rows (the overall rows form one family of their own).
 */
export function adjustAndJudge(metric: Metric, rowsPerCandidate: readonly ComparisonRow[][], alpha: number, marginOverride?: number): void {
  const byFamily = new Map<string, ComparisonRow[]>();
  for (const rows of rowsPerCandidate) {
    for (const r of rows) {
      if (!r.test) continue;
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
        r.minimumDetectableEffect = minimumDetectableEffect(r.standardError, alpha / tested.length, MDE_POWER);
      }
    });
  }
  const margin = marginOverride ?? metric.perSample?.margin ?? (metric.perSample?.scale === 100 ? 1 : undefined);
  for (const r of rowsPerCandidate.flat()) {
    if (r.test && margin !== undefined) r.margin = margin;
    r.verdict = verdictOf(r, Boolean(metric.neutral));
  }
}
