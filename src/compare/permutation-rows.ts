import type { SignFlipOptions } from '../metrics/sign-flip.js';
import { seededRandom } from '../metrics/stats.js';
import type { AggregateContext, Metric, ScoredSample } from '../metrics/types.js';
import type { ComparisonRow } from './types.js';

/**
 * Rows aggregated over all swaps, at most: about a second (each swap aggregates both runs once; about
 * 0.3 µs a row here). gqa-mini (2,437 questions) gets 615 swaps, GQA testdev (12,578) 119.
 */
const PERMUTATION_WORK = 3e6;
/** Fewer swaps than this leave p no lower than 0.01: the row is then compared by value only, and says why. */
const MIN_SWAPS = 99;
/** The most questions a permutation test takes (MIN_SWAPS swaps within PERMUTATION_WORK); compare keeps lines up to this. */
export const PERMUTATION_MAX_QUESTIONS = Math.floor(PERMUTATION_WORK / (2 * MIN_SWAPS));

/**
 * Rows of a headline metric that is not a mean of per-question scores (MME's score, MMVP's pair
 * accuracy, POPE's F1, GQA's consistency), tested by permutation over images: under "no difference",
 * swapping A's and B's answers on all the questions of an image leaves the distribution of the metric's
 * Δ unchanged, so Δ is compared with its values over seeded random swaps of whole images (the
 * sign-flip test's idea, applied to any statistic). p = (1 + swaps at least as extreme) / (swaps + 1),
 * never 0; the number of swaps is `iterations`, fewer on large runs (PERMUTATION_WORK), and beyond
 * about 15,000 questions none (the row is compared by value, with a note). No interval is given: a permutation test has none to invert, so these rows are better,
 * worse or inconclusive, never "no change".
 */
export function permutationRows(
  metric: Metric,
  rows: ComparisonRow[],
  questions: number,
  lines: { a: readonly ScoredSample[]; b: readonly ScoredSample[] } | undefined,
  ctx: AggregateContext,
  stats: SignFlipOptions,
): ComparisonRow[] {
  const tested = rows.filter((r) => r.delta !== null);
  if (tested.length === 0) return rows;
  const swaps = Math.min(stats.iterations, Math.floor(PERMUTATION_WORK / (2 * questions)));
  if (swaps < MIN_SWAPS || !lines) {
    for (const r of tested) r.note = `not tested: ${questions} questions are too many for the permutation test's budget; compared by value`;
    return rows;
  }
  const { a: rowsA, b: rowsB } = lines;
  const clusterIndex = new Map<string, number>();
  const clusterOf = rowsA.map((r) => {
    if (!clusterIndex.has(r.group)) clusterIndex.set(r.group, clusterIndex.size);
    return clusterIndex.get(r.group)!;
  });
  const observed = new Map(tested.map((r) => [r.category, Math.abs(r.delta!)]));
  const extreme = new Map(tested.map((r) => [r.category, 0]));
  const rand = seededRandom(stats.seed);
  const swapped = new Uint8Array(clusterIndex.size);
  const a: ScoredSample[] = new Array(rowsA.length);
  const b: ScoredSample[] = new Array(rowsA.length);
  for (let it = 0; it < swaps; it++) {
    for (let c = 0; c < swapped.length; c++) swapped[c] = rand() < 0.5 ? 1 : 0;
    for (let i = 0; i < rowsA.length; i++) {
      const swap = swapped[clusterOf[i]!] === 1;
      a[i] = swap ? rowsB[i]! : rowsA[i]!;
      b[i] = swap ? rowsA[i]! : rowsB[i]!;
    }
    const va = new Map(metric.aggregate(a, ctx).map((v) => [v.category, v.value]));
    for (const v of metric.aggregate(b, ctx)) {
      const x = va.get(v.category);
      const seen = observed.get(v.category);
      if (seen === undefined || x === null || x === undefined || v.value === null) continue;
      if (Math.abs(v.value - x) >= seen - 1e-9 * (1 + seen)) extreme.set(v.category, extreme.get(v.category)! + 1);
    }
  }
  const images = imagesPerCategory(rowsA, tested);
  for (const r of tested) {
    r.test = { method: 'permutation', p: (1 + extreme.get(r.category)!) / (swaps + 1), clusters: images.get(r.category)! };
    r.note = undefined;
  }
  return rows;
}

/**
 * Images behind each category, for the minimum-images floor: a `label/value` category counts the
 * images of the rows whose label has that value (MME's `subtask/color`, POPE's `split/popular`); any
 * other (`overall`, MME's totals) counts every image.
 */
function imagesPerCategory(rows: readonly ScoredSample[], tested: readonly ComparisonRow[]): Map<string, number> {
  const all = new Set(rows.map((r) => r.group)).size;
  return new Map(
    tested.map((t) => {
      const slash = t.category.indexOf('/');
      if (slash < 0) return [t.category, all];
      const [label, value] = [t.category.slice(0, slash), t.category.slice(slash + 1)];
      const groups = new Set(rows.filter((r) => String(r.categories[label]) === value).map((r) => r.group));
      return [t.category, groups.size > 0 ? groups.size : all];
    }),
  );
}
