import type { Sample } from '../datasets/types.js';

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

export interface Interval {
  low: number;
  high: number;
  method: 'wilson' | 'cluster-bootstrap' | 'normal';
  /** Bootstrap only: how it was drawn, so anyone can reproduce it. */
  seed?: number;
  iterations?: number;
  clusters?: number;
}

/** One aggregated number: a metric's value on one category. */
export interface MetricValue {
  metric: string;
  /** `overall`, or `<label>/<value>` such as `structural/verify`. */
  category: string;
  /** null when it could not be computed; `note` says why. */
  value: number | null;
  n: number;
  higherIsBetter: boolean;
  interval?: Interval;
  /** A second interval that respects clustering (questions on one image are correlated). */
  clusterInterval?: Interval;
  note?: string;
}

/** Inputs some metrics need besides the per-sample rows. */
export interface AggregateContext {
  /** GQA choices file: per question, the valid and plausible answers. */
  choices?: ReadonlyMap<string, { valid: readonly string[]; plausible: readonly string[] }>;
  /** Score unbalanced GQA questions too (the official scorer does not). */
  includeUnbalanced?: boolean;
  bootstrap?: { seed: number; iterations: number };
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
}

/** Aggregation one row at a time, so a corpus never has to be held in memory. */
export interface Accumulator {
  add(row: ScoredSample): void;
  finish(): MetricValue[];
}

export interface Metric {
  id: string;
  description: string;
  higherIsBetter: boolean;
  perSample?: PerSampleMean;
  /** Per-sample scores, stored in predictions.jsonl under their keys. */
  score(sample: Sample, prediction: string): Record<string, number>;
  /** Corpus-level values from stored per-sample scores. */
  aggregate(rows: readonly ScoredSample[], ctx?: AggregateContext): MetricValue[];
  /** The same values, fed one row at a time (metrics that can; `score` then streams). */
  accumulate?(ctx?: AggregateContext): Accumulator;
}
