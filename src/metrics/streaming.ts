import type { Accumulator, AggregateContext, Metric, ScoredSample } from './types.js';

/** A metric whose values come from an accumulator: `aggregate` feeds it every row. */
export function streamingMetric(m: Omit<Metric, 'aggregate' | 'accumulate'> & { accumulate(ctx?: AggregateContext): Accumulator }): Metric {
  return {
    ...m,
    aggregate(rows, ctx) {
      const acc = m.accumulate(ctx);
      for (const r of rows) acc.add(r);
      return acc.finish();
    },
  };
}

/** The metric's accumulator; for a metric without one, an accumulator that keeps the rows. */
export function accumulatorFor(metric: Metric, ctx: AggregateContext): Accumulator {
  if (metric.accumulate) return metric.accumulate(ctx);
  const rows: ScoredSample[] = [];
  return { add: (r) => rows.push(r), finish: () => metric.aggregate(rows, ctx) };
}
