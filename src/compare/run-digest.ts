import { accumulatorFor } from '../metrics/streaming.js';
import type { Accumulator, AggregateContext, Metric, MetricValue, PerSampleMean, ScoredSample } from '../metrics/types.js';
import { growableFloat64, growableInt32, type Growable } from '../lib/growable.js';
import { checkStoredScores } from './verify-scores.js';

/**
 * What compare keeps of a run after one pass over its lines: per question, the few numbers its paired
 * tests need, in flat arrays; per metric that is not a per-question mean, its aggregate values. The
 * lines themselves go once read (except on runs small enough for permutation tests), so comparing two
 * million-question runs holds a few arrays per run, not a million objects.
 */
export interface RunDigest {
  rows: number;
  /** The question ids in order, as two 32-bit hashes each (the baseline's, which candidates are checked against). */
  ids?: Int32Array;
  /** Per per-sample metric: each question's score (0 where the line has none). */
  scores: Map<string, Float64Array>;
  /** Per per-sample metric, from the baseline's lines: which questions count, their categories and images. */
  layouts: Map<string, PairedLayout>;
  /** Per other metric: its values over the whole run. */
  aggregates: Map<string, MetricValue[]>;
  /** The lines, when the run is small enough for the permutation tests (`keepLinesUpTo`). */
  lines?: ScoredSample[];
}

/**
 * A paired metric's questions as the baseline sees them. `cluster[i]` is question i's image (its
 * `group`), `-1` for a question the metric does not count; its categories besides `overall` are
 * `categoryCode[categoryStart[i] .. categoryStart[i + 1]]`, indexes into `categoryNames`.
 */
export interface PairedLayout {
  cluster: Int32Array;
  clusters: number;
  categoryStart: Int32Array;
  categoryCode: Int32Array;
  categoryNames: string[];
}

/** A layout while its questions are read. */
interface LayoutBuilder {
  cluster: Growable<Int32Array>;
  categoryStart: Growable<Int32Array>;
  categoryCode: Growable<Int32Array>;
  categoryNames: string[];
}

export interface DigestPlan {
  metrics: readonly Metric[];
  ctx: AggregateContext;
  /** The baseline's ids (`RunDigest.ids`), for a candidate: its lines must be the same questions in the same order. */
  expectIds?: Int32Array;
  /** The baseline: keep ids and the paired layouts. */
  baseline: boolean;
  /** Keep the lines while there are at most this many (0: never). */
  keepLinesUpTo: number;
  /** Names the run's file in a refusal of a stored score, and whether it holds lines or rows. */
  file: string;
  unit: 'line' | 'row';
}

function layoutBuilder(): LayoutBuilder {
  const categoryStart = growableInt32();
  categoryStart.push(0);
  return { cluster: growableInt32(), categoryStart, categoryCode: growableInt32(), categoryNames: [] };
}

/**
 * One pass over a run's lines, in batches: each line's stored scores are checked (verify-scores.ts),
 * then kept as numbers. Returns 'misaligned' as soon as a candidate's questions leave the baseline's
 * order (compare then pairs the runs by id instead).
 */
export async function digestRun(
  batches: AsyncIterable<readonly ScoredSample[]> | Iterable<readonly ScoredSample[]>,
  plan: DigestPlan,
): Promise<RunDigest | 'misaligned'> {
  const paired = plan.metrics.filter((m): m is Metric & { perSample: PerSampleMean } => Boolean(m.perSample));
  const accumulators = new Map<string, Accumulator>(
    plan.metrics.filter((m) => !m.perSample).map((m) => [m.id, accumulatorFor(m, plan.ctx)]),
  );
  const scores = new Map(paired.map((m) => [m.id, growableFloat64()]));
  const layouts = new Map(plan.baseline ? paired.map((m) => [m.id, layoutBuilder()]) : []);
  // per layout: image → cluster number, category name → code
  const clusterOf = new Map<string, number>();
  const codes = new Map(paired.map((m) => [m.id, new Map<string, number>()]));
  const ids = plan.baseline ? growableInt32() : undefined;
  const expect = plan.expectIds;
  let lines: ScoredSample[] | undefined = plan.keepLinesUpTo > 0 ? [] : undefined;
  let i = 0;
  for await (const batch of batches) {
    for (const line of batch) {
      if (expect && (expect[2 * i] !== fnv1a(line.id) || expect[2 * i + 1] !== djb2(line.id))) return 'misaligned';
      checkStoredScores(line, `${plan.unit} ${i + 1}`, plan.metrics, plan.file);
      if (ids) {
        ids.push(fnv1a(line.id));
        ids.push(djb2(line.id));
      }
      for (const m of paired) {
        scores.get(m.id)!.push(line.scores[m.perSample.key] ?? 0);
        const layout = layouts.get(m.id);
        if (layout) addToLayout(layout, codes.get(m.id)!, clusterOf, m.perSample, line, plan.ctx);
      }
      for (const acc of accumulators.values()) acc.add(line);
      if (lines) lines = lines.length < plan.keepLinesUpTo ? (lines.push(line), lines) : undefined;
      i += 1;
    }
  }
  if (expect && 2 * i !== expect.length) return 'misaligned';
  const finished = (b: LayoutBuilder): PairedLayout => ({
    cluster: b.cluster.finish(),
    clusters: clusterOf.size,
    categoryStart: b.categoryStart.finish(),
    categoryCode: b.categoryCode.finish(),
    categoryNames: b.categoryNames,
  });
  return {
    rows: i,
    ids: ids?.finish(),
    scores: new Map([...scores].map(([id, g]) => [id, g.finish()])),
    layouts: new Map([...layouts].map(([id, b]) => [id, finished(b)])),
    aggregates: new Map([...accumulators].map(([id, acc]) => [id, acc.finish()])),
    lines,
  };
}

function addToLayout(
  layout: LayoutBuilder,
  codes: Map<string, number>,
  clusterOf: Map<string, number>,
  def: PerSampleMean,
  line: ScoredSample,
  ctx: AggregateContext,
): void {
  if (!def.include(line, ctx)) {
    layout.cluster.push(-1);
    layout.categoryStart.push(layout.categoryCode.length);
    return;
  }
  let c = clusterOf.get(line.group);
  if (c === undefined) clusterOf.set(line.group, (c = clusterOf.size));
  layout.cluster.push(c);
  for (const name of def.categories(line)) {
    let code = codes.get(name);
    if (code === undefined) {
      codes.set(name, (code = layout.categoryNames.length));
      layout.categoryNames.push(name);
    }
    layout.categoryCode.push(code);
  }
  layout.categoryStart.push(layout.categoryCode.length);
}

/*
 * Two independent 32-bit hashes of a question id: the baseline keeps 8 bytes per question instead of
 * its ids (about 60 MB at a million questions), and a candidate whose id differs at some position
 * passes for the same only if both hashes collide there (about 1 in 2^64).
 */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

function djb2(s: string): number {
  let h = 5381;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 33) + s.charCodeAt(i)) | 0;
  return h;
}
