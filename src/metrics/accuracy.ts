import type { AggregateContext, MetricValue, ScoredSample } from './types.js';
import { clusterBootstrapRatio, DEFAULT_BOOTSTRAP, wilsonInterval } from './stats.js';

export interface AccuracyOptions {
  /** Add an interval from resampling the rows' groups (images) when there are several rows per group. */
  clusterBootstrap?: boolean;
  order?: (a: string, b: string) => number;
  ctx?: AggregateContext;
}

/**
 * Accuracy (in percent) of a 0/1 score, overall and per category, each with a Wilson interval and,
 * optionally, a cluster bootstrap interval. `categoryOf` names the categories a row belongs to
 * besides `overall` (none for null labels).
 */
export function accuracyByCategory(
  metric: string,
  rows: readonly ScoredSample[],
  scoreKey: string,
  categoryOf: (row: ScoredSample) => string[],
  opts: AccuracyOptions = {},
): MetricValue[] {
  const tally = new Map<string, { correct: number; n: number; groups: Map<string, { sum: number; count: number }> }>();
  const add = (cat: string, row: ScoredSample, score: number) => {
    let t = tally.get(cat);
    if (!t) tally.set(cat, (t = { correct: 0, n: 0, groups: new Map() }));
    t.correct += score;
    t.n += 1;
    const g = t.groups.get(row.group) ?? { sum: 0, count: 0 };
    g.sum += score;
    g.count += 1;
    t.groups.set(row.group, g);
  };
  tally.set('overall', { correct: 0, n: 0, groups: new Map() });
  for (const row of rows) {
    const score = row.scores[scoreKey] ?? 0;
    for (const cat of ['overall', ...categoryOf(row)]) add(cat, row, score);
  }
  const order = opts.order ?? (() => 0);
  const cats = [...tally.keys()].filter((c) => c !== 'overall');
  const sorted = ['overall', ...cats.sort((a, b) => order(a, b) || a.localeCompare(b, 'en', { numeric: true }))];
  const boot = opts.ctx?.bootstrap ?? DEFAULT_BOOTSTRAP;
  return sorted.map((category): MetricValue => {
    const { correct, n, groups } = tally.get(category)!;
    if (n === 0) return { metric, category, value: null, n, higherIsBetter: true, note: 'no scored questions' };
    const ci = wilsonInterval(correct, n);
    const value: MetricValue = {
      metric, category, value: (100 * correct) / n, n, higherIsBetter: true,
      interval: { low: 100 * ci.low, high: 100 * ci.high, method: 'wilson' },
    };
    if (opts.clusterBootstrap && groups.size < n) {
      const b = clusterBootstrapRatio([...groups.values()], boot);
      value.clusterInterval = { low: 100 * b.low, high: 100 * b.high, method: 'cluster-bootstrap', seed: boot.seed, iterations: boot.iterations, clusters: groups.size };
    }
    return value;
  });
}
