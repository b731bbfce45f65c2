import { naturalOrder } from '../metrics/categories.js';
import { clusterStandardError, mcnemar } from '../metrics/paired.js';
import { pairedDeltaInterval } from '../metrics/sign-flip-interval.js';
import { signFlipTest, type ClusterEvidence, type SignFlipOptions } from '../metrics/sign-flip.js';
import type { Metric, MetricValue, PerSampleMean } from '../metrics/types.js';
import type { PairedLayout } from './run-digest.js';
import type { ComparisonRow } from './types.js';

interface CategoryTally {
  n: number;
  sumA: number;
  sumB: number;
  aOnly: number;
  bOnly: number;
  /** Per cluster (image): Σ(B − A) and the number of items. */
  diff: Float64Array;
  count: Float64Array;
  present: Set<number>;
}

function emptyTally(k: number): CategoryTally {
  return { n: 0, sumA: 0, sumB: 0, aOnly: 0, bOnly: 0, diff: new Float64Array(k), count: new Float64Array(k), present: new Set() };
}

function mcnemarMethod(method: ReturnType<typeof mcnemar>['method']): NonNullable<ComparisonRow['test']>['method'] {
  return method === 'exact' ? 'mcnemar-exact' : method === 'chi-square-cc' ? 'mcnemar-chi-square-cc' : 'none';
}

/**
 * The paired test of one category: McNemar's when every cluster holds one item of 0/1 scores (no
 * grouping to respect), else the sign-flip test over clusters.
 */
function pairedTest(def: PerSampleMean, t: CategoryTally, boot: SignFlipOptions): NonNullable<ComparisonRow['test']> {
  const present = [...t.present];
  const discordant = def.binary ? { discordant: { aOnly: t.aOnly, bOnly: t.bOnly } } : {};
  if (def.binary && present.every((c) => t.count[c] === 1)) {
    const m = mcnemar(t.aOnly, t.bOnly);
    return { method: mcnemarMethod(m.method), p: m.p, clusters: present.length, ...discordant };
  }
  const s = signFlipTest(
    present.map((c) => t.diff[c]!),
    boot,
  );
  return { method: s.method, p: s.p, clusters: present.length, ...discordant };
}

/** A row's clusters, with the metric's scale and whether its scores are 0/1. */
export type RowEvidence = ClusterEvidence & { scale: number; binary: boolean };

/** The per-image evidence behind a paired row, for the gate's tests at its thresholds (kept off the row so JSON stays small). */
const evidenceOfRow = new WeakMap<ComparisonRow, RowEvidence>();

/** The clusters (images) behind a paired row, in per-item units with the metric's scale; undefined for a row with no paired test. */
export function rowEvidence(row: ComparisonRow): RowEvidence | undefined {
  return evidenceOfRow.get(row);
}

/** The clusters present in a category, compacted. */
function evidenceOf(t: CategoryTally): ClusterEvidence {
  const present = [...t.present];
  return { diff: Float64Array.from(present, (c) => t.diff[c]!), count: Float64Array.from(present, (c) => t.count[c]!) };
}

/**
 * Per-category rows of a per-sample-mean metric, A against B question by question: both values, Δ with
 * the interval that inverts the clustered paired test (at level 1 − α), the test, and the
 * cluster-robust standard error (for the minimum detectable effect). `layout` is the baseline's view of
 * the questions (run-digest.ts); `xa` and `xb` are the two runs' scores of the same questions in the
 * same order. Adjustment and verdicts come after (multiplicity.ts).
 */
export function pairedRows(
  def: PerSampleMean,
  metric: Metric,
  layout: PairedLayout,
  xa: Float64Array,
  xb: Float64Array,
  stats: SignFlipOptions & { alpha: number },
): ComparisonRow[] {
  const k = layout.clusters;
  const overall = emptyTally(k);
  const byCode = layout.categoryNames.map(() => emptyTally(k));
  const add = (t: CategoryTally, a: number, b: number, c: number) => {
    t.n += 1;
    t.sumA += a;
    t.sumB += b;
    if (def.binary && a === 1 && b === 0) t.aOnly++;
    if (def.binary && a === 0 && b === 1) t.bOnly++;
    t.diff[c] += b - a;
    t.count[c] += 1;
    t.present.add(c);
  };
  // one pass over the questions, accumulating into every category each is in
  for (let i = 0; i < layout.cluster.length; i++) {
    const c = layout.cluster[i]!;
    if (c < 0) continue;
    add(overall, xa[i]!, xb[i]!, c);
    for (let j = layout.categoryStart[i]!; j < layout.categoryStart[i + 1]!; j++) add(byCode[layout.categoryCode[j]!]!, xa[i]!, xb[i]!, c);
  }
  const tallies = new Map<string, CategoryTally>([
    ['overall', overall],
    ...layout.categoryNames.map((name, code) => [name, byCode[code]!] as const),
  ]);
  const scaled = (m: number) => def.scale * (def.transform === 'sqrt' ? Math.sqrt(m) : m);
  return [...tallies.keys()].sort(naturalOrder(def.order)).map((category): ComparisonRow => {
    const t = tallies.get(category)!;
    const base = {
      metric: metric.id,
      category,
      higherIsBetter: metric.higherIsBetter,
      n: t.n,
      significant: false,
      verdict: 'not tested' as const,
    };
    if (t.n === 0) return { ...base, a: null, b: null, delta: null, note: 'no items' };
    const a = scaled(t.sumA / t.n);
    const b = scaled(t.sumB / t.n);
    if (def.transform === 'sqrt') return { ...base, a, b, delta: b - a, note: 'root-mean metric: compared by value only' };
    const evidence = evidenceOf(t);
    const boot = { seed: stats.seed, iterations: stats.iterations };
    const inverted = pairedDeltaInterval(evidence, stats.alpha, boot, def.binary);
    const row: ComparisonRow = {
      ...base,
      a,
      b,
      delta: b - a,
      deltaInterval: {
        low: def.scale * inverted.low,
        high: def.scale * inverted.high,
        method: inverted.method,
        confidence: 1 - stats.alpha,
        patterns: inverted.patterns,
        seed: stats.seed,
        iterations: stats.iterations,
        clusters: t.present.size,
      },
      test: pairedTest(def, t, boot),
    };
    // one image has no spread to estimate: no standard error (nor minimum detectable effect)
    const se = clusterStandardError(evidence.diff, evidence.count);
    if (Number.isFinite(se)) row.standardError = def.scale * se;
    evidenceOfRow.set(row, { ...evidence, scale: def.scale, binary: def.binary });
    return row;
  });
}

/** Rows of a metric that is not a per-question mean: both runs' values (`va`, `vb`) side by side, no paired test. */
export function unpairedRows(metric: Metric, va: readonly MetricValue[], vb: readonly MetricValue[]): ComparisonRow[] {
  const byCategory = new Map(vb.map((v) => [v.category, v]));
  return va.map((x: MetricValue): ComparisonRow => {
    const y = byCategory.get(x.category);
    const a = x.value;
    const b = y?.value ?? null;
    return {
      metric: metric.id,
      category: x.category,
      higherIsBetter: metric.higherIsBetter,
      n: x.n,
      a,
      b,
      delta: a === null || b === null ? null : b - a,
      significant: false,
      verdict: 'not tested',
      note: a === null || b === null ? (x.note ?? y?.note ?? 'n/a') : 'no paired test (not a per-question mean)',
    };
  });
}
