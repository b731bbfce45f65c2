import type { Sample } from '../datasets/types.js';
import { byImageInterval } from './by-image-interval.js';
import { wilsonInterval } from './stats.js';
import { tQuantile } from './t-distribution.js';
import { naturalOrder } from './categories.js';
import { streamingMetric } from './streaming.js';
import type { Accumulator, AggregateContext, CategoryFamily, Metric, MetricValue, PerSampleMean } from './types.js';

export interface MeanMetricDefinition extends PerSampleMean {
  id: string;
  description: string;
  higherIsBetter: boolean;
  score(sample: Sample, prediction: string): Record<string, number>;
  /** Add an interval by image (group) when groups hold several rows: questions on one image are correlated. */
  byImage?: boolean;
  neutral?: boolean;
  families?: readonly CategoryFamily[];
  familyOf?(category: string): string;
}

interface Tally {
  sum: number;
  sumSq: number;
  n: number;
  groups: Map<string, { sum: number; count: number }>;
}

/**
 * Aggregates a metric whose value is (a transform of) the mean of one per-sample score, overall and per
 * category: accuracies get a Wilson interval, other means a t one, and with many rows per image also
 * an interval by image (by-image-interval.ts). Only running sums are kept (per category, and per
 * image), never the rows.
 */
export function meanAccumulator(def: MeanMetricDefinition, ctx?: AggregateContext): Accumulator {
  const tallies = new Map<string, Tally>([['overall', { sum: 0, sumSq: 0, n: 0, groups: new Map() }]]);
  return {
    add(r) {
      if (!def.include(r, ctx)) return;
      const x = r.scores[def.key] ?? 0;
      for (const category of ['overall', ...def.categories(r)]) {
        let t = tallies.get(category);
        if (!t) tallies.set(category, (t = { sum: 0, sumSq: 0, n: 0, groups: new Map() }));
        t.sum += x;
        t.sumSq += x * x;
        t.n += 1;
        const g = t.groups.get(r.group);
        if (g) {
          g.sum += x;
          g.count += 1;
        } else t.groups.set(r.group, { sum: x, count: 1 });
      }
    },
    finish: () => [...tallies.keys()].sort(naturalOrder(def.order)).map((category) => meanValue(def, category, tallies.get(category)!)),
  };
}

function meanValue(def: MeanMetricDefinition, category: string, t: Tally): MetricValue {
  const base = { metric: def.id, category, n: t.n, higherIsBetter: def.higherIsBetter };
  if (t.n === 0) return { ...base, value: null, note: 'nothing to score' };
  const mean = t.sum / t.n;
  const value: MetricValue = { ...base, value: def.scale * (def.transform === 'sqrt' ? Math.sqrt(mean) : mean) };
  if (def.transform === 'sqrt') return value;
  if (def.binary) {
    const ci = wilsonInterval(t.sum, t.n);
    value.interval = { low: def.scale * ci.low, high: def.scale * ci.high, method: 'wilson' };
  } else if (t.n > 1) {
    const sd = Math.sqrt(Math.max(0, (t.sumSq - t.n * mean * mean) / (t.n - 1)));
    const half = (tQuantile(0.975, t.n - 1) * sd) / Math.sqrt(t.n);
    value.interval = { low: def.scale * (mean - half), high: def.scale * (mean + half), method: 't' };
  }
  if (def.byImage && t.groups.size < t.n) {
    const i = byImageInterval([...t.groups.values()], def.binary);
    if (i) value.clusterInterval = { ...i, low: def.scale * i.low, high: def.scale * i.high };
  }
  return value;
}

/** A Metric from a per-sample-mean definition; `perSample` lets `compare` pair it question by question. */
export function meanMetric(def: MeanMetricDefinition): Metric {
  const perSample: PerSampleMean = {
    key: def.key,
    scale: def.scale,
    binary: def.binary,
    transform: def.transform,
    include: def.include,
    categories: def.categories,
    order: def.order,
    margin: def.margin,
  };
  return streamingMetric({
    id: def.id,
    description: def.description,
    higherIsBetter: def.higherIsBetter,
    neutral: def.neutral,
    perSample,
    families: def.families,
    familyOf: def.familyOf,
    score: def.score,
    accumulate: (ctx) => meanAccumulator(def, ctx),
  });
}
