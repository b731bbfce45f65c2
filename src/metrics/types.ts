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
  method: 'wilson' | 'cluster-bootstrap';
}

/** One aggregated number: a metric's value on one category. */
export interface MetricValue {
  metric: string;
  /** `overall`, or `<label>/<value>` such as `structural/verify`. */
  category: string;
  /** null when it could not be computed; `note` says why. */
  value: number | null;
  n: number;
  interval?: Interval;
  higherIsBetter: boolean;
  note?: string;
}

export interface Metric {
  id: string;
  description: string;
  higherIsBetter: boolean;
  /** Per-sample scores, stored in predictions.jsonl under their keys. */
  score(sample: Sample, prediction: string): Record<string, number>;
  /** Corpus-level values from stored per-sample scores. */
  aggregate(rows: readonly ScoredSample[]): MetricValue[];
}
