import { XfError } from '../lib/errors.js';
import { familyEntries, naturalOrder } from '../metrics/categories.js';
import { drawClusters, holm, mcnemar, pairedBootstrapFromDraws } from '../metrics/paired.js';
import { metricRegistry } from '../metrics/registry.js';
import { DEFAULT_BOOTSTRAP } from '../metrics/stats.js';
import type { AggregateContext, FamilyEntry, Metric, MetricValue, ScoredSample } from '../metrics/types.js';
import type { LoadedRun } from '../runs/read-run.js';

export const ALPHA = 0.05;

/** One metric on one category, A against B on the same items. */
export interface ComparisonRow {
  metric: string;
  category: string;
  higherIsBetter: boolean;
  n: number;
  a: number | null;
  b: number | null;
  /** B - A in the metric's units (points for percentages). */
  delta: number | null;
  deltaInterval?: { low: number; high: number; method: 'paired-cluster-bootstrap'; seed: number; iterations: number; clusters: number };
  test?: { method: 'mcnemar-exact' | 'mcnemar-chi-square-cc' | 'paired-bootstrap' | 'none'; p: number; discordant?: { aOnly: number; bOnly: number } };
  /** Holm-adjusted across the categories of this metric. */
  pHolm?: number;
  significant: boolean;
  /** better / worse / unchanged, judged by the sign of delta and higherIsBetter, only when significant. */
  verdict: 'better' | 'worse' | 'no significant change' | 'not tested';
  note?: string;
}

export interface Comparison {
  a: { dir: string; name: string };
  b: { dir: string; name: string };
  dataset: { id: string; sha256: string };
  items: { compared: number; onlyInA: number; onlyInB: number };
  bootstrap: { seed: number; iterations: number };
  alpha: number;
  rows: ComparisonRow[];
  /** Which categories of `rows` form which family, and which tables show by default. */
  families: FamilyEntry[];
}

export function runName(run: LoadedRun): string {
  return run.record.bundle?.name ?? String(run.record.config['name'] ?? run.dir);
}

function pairedRows(def: NonNullable<Metric['perSample']>, metric: Metric, rowsA: readonly ScoredSample[], byIdB: Map<string, ScoredSample>, ctx: AggregateContext, boot: { seed: number; iterations: number }): ComparisonRow[] {
  const included = rowsA.filter((r) => def.include(r, ctx));
  // one set of bootstrap replicates over all clusters (images), shared by every category
  const clusterIndex = new Map<string, number>();
  for (const r of included) if (!clusterIndex.has(r.group)) clusterIndex.set(r.group, clusterIndex.size);
  const k = clusterIndex.size;
  const draws = k > 0 ? drawClusters(k, boot) : new Int32Array(0);
  interface Acc { n: number; sumA: number; sumB: number; aOnly: number; bOnly: number; diff: Float64Array; count: Float64Array; present: Set<number> }
  const acc = new Map<string, Acc>();
  // one pass over the rows (each paired with its B row once), accumulating into every category it is in
  for (const ra of included) {
    const xa = ra.scores[def.key] ?? 0;
    const xb = byIdB.get(ra.id)!.scores[def.key] ?? 0;
    const c = clusterIndex.get(ra.group)!;
    for (const category of ['overall', ...def.categories(ra)]) {
      let a = acc.get(category);
      if (!a) acc.set(category, (a = { n: 0, sumA: 0, sumB: 0, aOnly: 0, bOnly: 0, diff: new Float64Array(k), count: new Float64Array(k), present: new Set() }));
      a.n += 1;
      a.sumA += xa;
      a.sumB += xb;
      if (def.binary && xa === 1 && xb === 0) a.aOnly++;
      if (def.binary && xa === 0 && xb === 1) a.bOnly++;
      a.diff[c] += xb - xa;
      a.count[c] += 1;
      a.present.add(c);
    }
  }
  if (!acc.has('overall')) acc.set('overall', { n: 0, sumA: 0, sumB: 0, aOnly: 0, bOnly: 0, diff: new Float64Array(k), count: new Float64Array(k), present: new Set() });
  const out: ComparisonRow[] = [];
  for (const category of [...acc.keys()].sort(naturalOrder(def.order))) {
    const { n, sumA, sumB, aOnly, bOnly, diff, count, present } = acc.get(category)!;
    const base = { metric: metric.id, category, higherIsBetter: metric.higherIsBetter, n };
    if (n === 0) {
      out.push({ ...base, a: null, b: null, delta: null, significant: false, verdict: 'not tested', note: 'no items' });
      continue;
    }
    const t = (m: number) => def.scale * (def.transform === 'sqrt' ? Math.sqrt(m) : m);
    const a = t(sumA / n);
    const b = t(sumB / n);
    const row: ComparisonRow = { ...base, a, b, delta: b - a, significant: false, verdict: 'not tested' };
    if (def.transform !== 'sqrt') {
      const bs = pairedBootstrapFromDraws(diff, count, draws, boot.iterations);
      row.deltaInterval = { low: def.scale * bs.low, high: def.scale * bs.high, method: 'paired-cluster-bootstrap', seed: boot.seed, iterations: boot.iterations, clusters: present.size };
      if (def.binary) {
        const m = mcnemar(aOnly, bOnly);
        row.test = { method: m.method === 'exact' ? 'mcnemar-exact' : m.method === 'chi-square-cc' ? 'mcnemar-chi-square-cc' : 'none', p: m.p, discordant: { aOnly, bOnly } };
      } else {
        row.test = { method: 'paired-bootstrap', p: bs.p };
      }
    } else {
      row.note = 'root-mean metric: compared by value only';
    }
    out.push(row);
  }
  // Holm across this metric's categories
  const tested = out.filter((r) => r.test);
  const adjusted = holm(tested.map((r) => r.test!.p));
  tested.forEach((r, i) => {
    r.pHolm = adjusted[i]!;
    r.significant = r.pHolm < ALPHA && r.delta !== 0;
    const good = (r.delta ?? 0) * (r.higherIsBetter ? 1 : -1) > 0;
    r.verdict = r.significant ? (good ? 'better' : 'worse') : 'no significant change';
  });
  return out;
}

function unpairedRows(metric: Metric, rowsA: readonly ScoredSample[], rowsB: readonly ScoredSample[], ctx: AggregateContext): ComparisonRow[] {
  const va = metric.aggregate(rowsA, ctx);
  const vb = new Map(metric.aggregate(rowsB, ctx).map((v) => [v.category, v]));
  return va.map((x: MetricValue): ComparisonRow => {
    const y = vb.get(x.category);
    const a = x.value;
    const b = y?.value ?? null;
    return {
      metric: metric.id, category: x.category, higherIsBetter: metric.higherIsBetter, n: x.n, a, b,
      delta: a === null || b === null ? null : b - a, significant: false, verdict: 'not tested',
      note: a === null || b === null ? (x.note ?? y?.note ?? 'n/a') : 'no paired test (not a per-question mean)',
    };
  });
}

/**
 * Compares two runs on the same items: per metric and category, both values, the difference with a
 * paired cluster-bootstrap interval, McNemar's test (binary scores) and Holm-adjusted p-values.
 */
export async function compareRuns(runA: LoadedRun, runB: LoadedRun, opts: { intersect?: boolean; bootstrap?: { seed: number; iterations: number } } = {}): Promise<Comparison> {
  if (runA.record.dataset.id !== runB.record.dataset.id || runA.record.dataset.sha256 !== runB.record.dataset.sha256) {
    throw new XfError('E_DATASET_MISMATCH', `the runs are on different datasets (${runA.record.dataset.id} ${runA.record.dataset.sha256.slice(0, 12)} vs ${runB.record.dataset.id} ${runB.record.dataset.sha256.slice(0, 12)})`, {
      file: runB.dir, suggestion: 'Compare runs of the same dataset files.',
    });
  }
  const idsB = new Map(runB.rows.map((r) => [r.id, r]));
  const idsA = new Set(runA.rows.map((r) => r.id));
  const onlyInA = runA.rows.filter((r) => !idsB.has(r.id)).length;
  const onlyInB = runB.rows.filter((r) => !idsA.has(r.id)).length;
  if ((onlyInA > 0 || onlyInB > 0) && !opts.intersect) {
    throw new XfError('E_ITEMS_DIFFER', `the runs evaluated different items (${onlyInA} only in A, ${onlyInB} only in B)`, {
      file: runB.dir, suggestion: 'Pass --intersect to compare the common items.',
    });
  }
  const rowsA = runA.rows.filter((r) => idsB.has(r.id));
  const rowsB = rowsA.map((r) => idsB.get(r.id)!);
  if (rowsA.length === 0) throw new XfError('E_ITEMS_DIFFER', 'the runs have no item in common', { file: runB.dir });
  const ctx: AggregateContext = { includeUnbalanced: Boolean(runA.record.config['allQuestions']) };
  const boot = opts.bootstrap ?? DEFAULT_BOOTSTRAP;
  const metricIds = [...new Set(runA.record.metrics.map((m) => m.metric))];
  const registry = metricRegistry();
  const rows: ComparisonRow[] = [];
  const families: FamilyEntry[] = [];
  for (const id of metricIds) {
    const metric = await registry.get(id);
    const metricRows = metric.perSample ? pairedRows(metric.perSample, metric, rowsA, idsB, ctx, boot) : unpairedRows(metric, rowsA, rowsB, ctx);
    rows.push(...metricRows);
    families.push(...familyEntries(metric, metricRows.map((r) => r.category)));
  }
  return {
    a: { dir: runA.dir, name: runName(runA) },
    b: { dir: runB.dir, name: runName(runB) },
    dataset: { id: runA.record.dataset.id, sha256: runA.record.dataset.sha256 },
    items: { compared: rowsA.length, onlyInA, onlyInB },
    bootstrap: boot,
    alpha: ALPHA,
    rows,
    families,
  };
}
