import { tQuantile } from '../metrics/t-distribution.js';
import { rowEvidence } from './paired-rows.js';
import type { Comparison, ComparisonRow } from './types.js';

/** One row of `xfbench plan`: what the pilot shows, and how many images a study needs to see Δ. */
export interface PlanRow {
  metric: string;
  category: string;
  /** The pilot's questions and images. */
  n: number;
  images: number;
  /** Share of questions on which the two runs disagree (0/1 scores). */
  discordance?: number;
  /**
   * Variance of Δ with questions clustered by image over the variance were they independent: how many
   * questions one more image is worth is questions-per-image / design effect.
   */
  designEffect?: number;
  /** The level the row is tested at: α, or α / (tests in its family) for a category row (Holm's first step). */
  alpha: number;
  /** The smallest Δ the pilot's own size finds with the power asked. */
  detectableNow: number;
  /** Images needed to find `delta` with the power asked (null: the pilot cannot say, e.g. no disagreement at all). */
  imagesNeeded: number | null;
  /** The same in questions, at the pilot's questions per image. */
  questionsNeeded: number | null;
}

export interface PlanOptions {
  /** The true difference to find, in the metric's units (points for percentages). */
  delta: number;
  power: number;
  alpha: number;
}

/** Design effect of a paired row: cluster-robust variance of Δ over the variance with independent questions. */
function designEffect(row: ComparisonRow): number | undefined {
  const e = rowEvidence(row);
  if (!e || row.standardError === undefined) return undefined;
  // per-question differences are not kept, only per-image sums; for 0/1 scores their variance follows
  // from the discordant counts (each discordant question is ±1, each other 0)
  const d = row.test?.discordant;
  if (!d) return undefined;
  const n = row.n;
  const mean = (d.bOnly - d.aOnly) / n;
  const perQuestion = (d.aOnly + d.bOnly) / n - mean * mean;
  if (perQuestion <= 0) return undefined;
  const independent = (e.scale * Math.sqrt(perQuestion / n)) ** 2;
  return row.standardError ** 2 / independent;
}

/** Images needed for (t(1−α/2) + t(power)) · SE · √(G/G') ≤ Δ, with G' − 1 degrees of freedom. */
function imagesFor(delta: number, se: number, images: number, alpha: number, power: number): number | null {
  if (!(se > 0) || !(delta > 0)) return null;
  const factor = (g: number) => tQuantile(1 - alpha / 2, g - 1) + tQuantile(power, g - 1);
  // the standard error of Δ shrinks with the square root of the number of images
  let needed = Math.max(2, Math.ceil(images * ((factor(Infinity) * se) / delta) ** 2));
  for (let i = 0; i < 50; i++) {
    const next = Math.max(2, Math.ceil(images * ((factor(needed) * se) / delta) ** 2));
    if (next === needed) break;
    needed = next;
  }
  return needed;
}

/**
 * From a pilot comparison, per paired row: its discordance, its design effect, the Δ it can find now,
 * and the images (and questions, at its questions per image) a study needs to find `delta` with the
 * given power. Clustering is in it through the cluster-robust standard error: questions on one image
 * count for less than independent ones, by the design effect.
 */
export function planFromPilot(comparison: Comparison, opts: PlanOptions): PlanRow[] {
  return comparison.rows
    .filter((r) => r.test && r.standardError !== undefined && r.test.clusters !== undefined && r.test.clusters >= 2)
    .map((r) => {
      const images = r.test!.clusters!;
      const tests = r.category === 'overall' ? 1 : (r.adjustment?.tests ?? 1);
      const alpha = opts.alpha / tests;
      const se = r.standardError!;
      const needed = imagesFor(opts.delta, se, images, alpha, opts.power);
      const d = r.test!.discordant;
      const deff = designEffect(r);
      return {
        metric: r.metric,
        category: r.category,
        n: r.n,
        images,
        ...(d ? { discordance: (d.aOnly + d.bOnly) / r.n } : {}),
        ...(deff !== undefined ? { designEffect: deff } : {}),
        alpha,
        detectableNow: (tQuantile(1 - alpha / 2, images - 1) + tQuantile(opts.power, images - 1)) * se,
        imagesNeeded: needed,
        questionsNeeded: needed === null ? null : Math.ceil((needed * r.n) / images),
      };
    });
}
