import { z } from 'zod';
import type { AnswerChoices, Sample } from '../datasets/types.js';

/** What a run stores per sample: enough to re-aggregate or compare without the model. */
export interface ScoredSample {
  id: string;
  group: string;
  categories: Record<string, string | null>;
  extra: Record<string, unknown>;
  prediction: string;
  answers: string[];
  scores: Record<string, number>;
}

export const intervalSchema = z.object({
  low: z.number(),
  high: z.number(),
  /**
   * wilson: a proportion's; t: a mean's (mean ± t·sd/√n); by image (questions on one image are
   * correlated): cluster-wilson for proportions, cluster-t for other means (by-image-interval.ts).
   * cluster-bootstrap and normal: what older runs recorded (read as they are).
   */
  method: z.enum(['wilson', 't', 'cluster-wilson', 'cluster-t', 'cluster-bootstrap', 'normal']),
  /** Bootstrap (older runs) only: how it was drawn. */
  seed: z.number().int().optional(),
  iterations: z.number().int().optional(),
  clusters: z.number().int().optional(),
});
export type Interval = z.infer<typeof intervalSchema>;

/** One aggregated number: a metric's value on one category (as run.json stores it). */
export const metricValueSchema = z.object({
  metric: z.string(),
  /** `overall`, or `<label>/<value>` such as `structural/verify`. */
  category: z.string(),
  /** null when it could not be computed; `note` says why. */
  value: z.number().nullable(),
  n: z.number().int(),
  higherIsBetter: z.boolean(),
  interval: intervalSchema.optional(),
  /** A second interval that respects clustering (questions on one image are correlated). */
  clusterInterval: intervalSchema.optional(),
  note: z.string().optional(),
  /** Decimal places a report shows (default 2): a metric whose values are small says so itself. */
  digits: z.number().int().min(0).max(8).optional(),
});
export type MetricValue = z.infer<typeof metricValueSchema>;

/** Inputs some metrics need besides the per-sample rows. */
export interface AggregateContext {
  /** From `--choices`, for formats that have such a file (GQA's validity and plausibility). */
  choices?: AnswerChoices;
  /** Score unbalanced GQA questions too (the official scorer does not). */
  includeUnbalanced?: boolean;
}

/**
 * Declares that a metric's value is (a transform of) the mean of one per-sample score within each
 * category. Such metrics can be compared question by question (paired statistics).
 */
export interface PerSampleMean {
  key: string;
  /** Multiplier for reporting (100 for percentages). */
  scale: number;
  /** Scores are 0/1: Wilson intervals and McNemar's test apply. */
  binary: boolean;
  /** `sqrt` for root-mean metrics such as RMSE. */
  transform?: 'sqrt';
  /** Rows the metric counts at all (e.g. balanced questions, counting questions). */
  include(row: ScoredSample, ctx?: AggregateContext): boolean;
  /** Categories a row belongs to besides `overall`. */
  categories(row: ScoredSample): string[];
  /** Reporting order of categories (after `overall`); natural order breaks ties. */
  order?: (a: string, b: string) => number;
  /**
   * The largest difference, in reported units, that counts as "no change" in `compare` (default: 1
   * for percentages, none otherwise: such rows are then better, worse or inconclusive).
   */
  margin?: number;
}

/** Aggregation one row at a time, so a corpus never has to be held in memory. */
export interface Accumulator {
  add(row: ScoredSample): void;
  finish(): MetricValue[];
}

/**
 * A family of categories a metric reports, such as GQA's structural types or its reasoning steps.
 * Tables show the families marked `shownByDefault` and the rest with --details; run.json and
 * `compare --json` list which categories belong to which family.
 */
export interface CategoryFamily {
  id: string;
  /** What its rows are by, in a sentence such as "N more rows by detailed type": "detailed type". */
  description: string;
  shownByDefault: boolean;
}

/** The families of one metric present in a set of results, each with its categories (as run.json stores them). */
export const familyEntrySchema = z.object({
  metric: z.string(),
  family: z.string(),
  description: z.string(),
  shownByDefault: z.boolean(),
  categories: z.array(z.string()),
});
export type FamilyEntry = z.infer<typeof familyEntrySchema>;

export interface Metric {
  id: string;
  description: string;
  higherIsBetter: boolean;
  /** A descriptive figure (POPE's yes ratio): compared and reported, never called better or worse, never gated. */
  neutral?: boolean;
  perSample?: PerSampleMean;
  /**
   * A headline figure that is not a per-question mean (MME score, pair accuracy, F1, consistency):
   * `compare` tests it by permuting A and B within images (compare/permutation-rows.ts).
   */
  permutationTest?: boolean;
  /** The families its categories (besides `overall`) fall into; a family not declared is shown, named by its id. */
  families?: readonly CategoryFamily[];
  /** The family of one of its categories; by default the text before the first "/" (`structural/verify`: structural). */
  familyOf?(category: string): string;
  /** Per-sample scores, stored in predictions.jsonl under their keys. */
  score(sample: Sample, prediction: string): Record<string, number>;
  /** Corpus-level values from stored per-sample scores. */
  aggregate(rows: readonly ScoredSample[], ctx?: AggregateContext): MetricValue[];
  /** The same values, fed one row at a time (metrics that can; `score` then streams). */
  accumulate?(ctx?: AggregateContext): Accumulator;
}
