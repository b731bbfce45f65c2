import { existsSync } from 'node:fs';
import path from 'node:path';
import { datasetRegistry } from '../datasets/registry.js';
import { XfError } from '../lib/errors.js';
import { familyEntries } from '../metrics/categories.js';
import { metricRegistry } from '../metrics/registry.js';
import { DEFAULT_SIGN_PATTERNS } from '../metrics/stats.js';
import type { AggregateContext, FamilyEntry, Metric } from '../metrics/types.js';
import { loadRun, runName, runSampleSource, type LoadedRun, type RunHeader } from '../runs/read-run.js';
import { PREDICTIONS_FILE } from '../runs/run-dir.js';
import { scoringContext } from '../runs/scoring-context.js';
import { firstAnswerDifference, SCORING_KEYS } from '../runs/run-config.js';
import { adjustAndJudge, DEFAULT_MIN_IMAGES } from './multiplicity.js';
import { pairedRows, unpairedRows } from './paired-rows.js';
import { PERMUTATION_MAX_QUESTIONS, permutationRows } from './permutation-rows.js';
import { digestRun, type RunDigest } from './run-digest.js';
import type { Comparison, ComparisonRow } from './types.js';

export type { Comparison, ComparisonRow, Verdict } from './types.js';

export const ALPHA = 0.05;

export interface CompareOptions {
  intersect?: boolean;
  signPatterns?: { seed: number; iterations: number };
  alpha?: number;
  /** |Δ| up to this is "no change", in each metric's units (default: the metric's own margin). */
  margin?: number;
  /** Images a row needs for a verdict (default DEFAULT_MIN_IMAGES). */
  minImages?: number;
}

/**
 * Refuses runs that differ in a scoring setting (compare applies A's to both runs); returns what
 * differs but is allowed. `raw` (normalisation off) changes only the answers, which the stored scores
 * already reflect: a raw-vs-normalised comparison is a fair question, and is marked rather than refused.
 */
function checkSameScoring(runA: RunHeader, runB: RunHeader): string[] {
  const diff = firstAnswerDifference(runA.record.config, runB.record.config, SCORING_KEYS);
  if (diff) {
    throw new XfError('E_SETTINGS_DIFFER', `the runs were scored differently (${diff.key}: ${diff.a} in A, ${diff.b} in B)`, {
      file: runB.dir,
      field: `config.${diff.key}`,
      suggestion: 'Run or score both with the same --all-questions and --choices, and the same xfbench metrics.',
    });
  }
  // a model run has no `raw`: its answers are always normalised
  const raw = (run: RunHeader) => run.record.config.raw === true;
  return raw(runA) === raw(runB)
    ? []
    : [`A's answers were scored ${raw(runA) ? 'raw' : 'normalised'}, B's ${raw(runB) ? 'raw' : 'normalised'} (--raw)`];
}

/**
 * Model runs on different execution providers: the same bundle answers a few near-tie questions
 * differently on a GPU (docs/cuda.md measured 1 in 500), so part of Δ may be the device's arithmetic.
 * Marked, not refused: comparing devices is a fair question too.
 */
function providerNote(runA: RunHeader, runB: RunHeader): string[] {
  const a = runA.record.provider?.used;
  const b = runB.record.provider?.used;
  return a && b && a !== b ? [`A ran on ${a}, B on ${b}: answers can differ by the device's arithmetic alone (docs/cuda.md)`] : [];
}

/** The scoring context the runs recorded: their --all-questions and, when its file is still there, their --choices. */
async function recordedContext(run: RunHeader): Promise<{ ctx: AggregateContext; note?: string }> {
  const { allQuestions, choices } = run.record.config;
  const registry = datasetRegistry();
  const adapter = registry.has(run.record.dataset.id) ? await registry.get(run.record.dataset.id) : undefined;
  if (choices && (!adapter?.loadChoices || !existsSync(choices)))
    return { ctx: { includeUnbalanced: allQuestions }, note: `n/a: the runs' choices file ${choices} is no longer there` };
  return { ctx: adapter ? await scoringContext(adapter, { allQuestions, choices }) : { includeUnbalanced: allQuestions } };
}

interface Pairing {
  candidate: RunHeader;
  digest: RunDigest;
  onlyInA: number;
  onlyInB: number;
  notes: string[];
}

/** The checks that two runs can be compared at all: the same dataset files, scored alike. */
function checkComparable(runA: RunHeader, runB: RunHeader): string[] {
  if (runA.record.dataset.id !== runB.record.dataset.id || runA.record.dataset.sha256 !== runB.record.dataset.sha256) {
    throw new XfError(
      'E_DATASET_MISMATCH',
      `the runs are on different datasets (${runA.record.dataset.id} ${runA.record.dataset.sha256.slice(0, 12)} vs ${runB.record.dataset.id} ${runB.record.dataset.sha256.slice(0, 12)})`,
      {
        file: runB.dir,
        suggestion: 'Compare runs of the same dataset files.',
      },
    );
  }
  return [...checkSameScoring(runA, runB), ...providerNote(runA, runB)];
}

interface DigestSettings {
  metrics: readonly Metric[];
  ctx: AggregateContext;
  keepLinesUpTo: number;
}

/** One pass over a run read from its files (or its lines in memory). */
async function digestFromFiles(run: RunHeader | LoadedRun, settings: DigestSettings, expectIds?: Int32Array) {
  const source = await runSampleSource(run);
  return digestRun(source.batches, { ...settings, file: source.file, unit: source.unit, baseline: !expectIds, expectIds });
}

/**
 * The baseline and candidates digested in one streaming pass each when every candidate holds the
 * baseline's questions in the same order (finished runs of one dataset do: results.parquet is in
 * dataset order). Otherwise the lines are read into memory and paired by id, the common questions in
 * the baseline's order, as with --intersect.
 */
async function digestAll(
  runA: RunHeader,
  candidates: readonly RunHeader[],
  settings: DigestSettings,
  intersect: boolean,
): Promise<{ digestA: RunDigest; pairings: Pairing[] }> {
  const notes = candidates.map((b) => checkComparable(runA, b));
  const digestA = await digestFromFiles(runA, settings);
  if (digestA === 'misaligned') throw new Error('the baseline has no order to keep'); // a baseline is never checked against ids
  const digests: RunDigest[] = [];
  for (const b of candidates) {
    const d = await digestFromFiles(b, settings, digestA.ids);
    if (d === 'misaligned') return pairedById(runA, candidates, settings, intersect, notes);
    digests.push(d);
  }
  return { digestA, pairings: candidates.map((b, k) => ({ candidate: b, digest: digests[k]!, onlyInA: 0, onlyInB: 0, notes: notes[k]! })) };
}

/** The slower way, for runs whose questions differ or come in another order: every line in memory, paired by id. */
async function pairedById(
  runA: RunHeader,
  candidates: readonly RunHeader[],
  settings: DigestSettings,
  intersect: boolean,
  notes: string[][],
): Promise<{ digestA: RunDigest; pairings: Pairing[] }> {
  const lines = async (run: RunHeader) => (await loadRun(run)).rows;
  const rowsA = await lines(runA);
  const aligned = await Promise.all(
    candidates.map(async (b) => {
      const rowsB = await lines(b);
      const byIdB = new Map(rowsB.map((r) => [r.id, r]));
      const idsA = new Set(rowsA.map((r) => r.id));
      const onlyInA = rowsA.filter((r) => !byIdB.has(r.id)).length;
      const onlyInB = rowsB.filter((r) => !idsA.has(r.id)).length;
      if ((onlyInA > 0 || onlyInB > 0) && !intersect) {
        throw new XfError('E_ITEMS_DIFFER', `the runs evaluated different items (${onlyInA} only in A, ${onlyInB} only in B)`, {
          file: b.dir,
          suggestion: 'Pass --intersect to compare the common items.',
        });
      }
      return { b, byIdB, onlyInA, onlyInB };
    }),
  );
  // the questions every candidate shares with A: with one candidate, those of the pair
  const common = rowsA.filter((r) => aligned.every((x) => x.byIdB.has(r.id)));
  if (common.length === 0) throw new XfError('E_ITEMS_DIFFER', 'the runs have no item in common', { file: candidates[0]!.dir });
  const fileOf = (run: RunHeader) => path.join(run.dir, PREDICTIONS_FILE);
  const digestA = (await digestRun([common], { ...settings, file: fileOf(runA), unit: 'line', baseline: true })) as RunDigest;
  const pairings: Pairing[] = [];
  for (const [k, x] of aligned.entries()) {
    const rowsB = common.map((r) => x.byIdB.get(r.id)!);
    const digest = (await digestRun([rowsB], { ...settings, file: fileOf(x.b), unit: 'line', baseline: false })) as RunDigest;
    pairings.push({ candidate: x.b, digest, onlyInA: x.onlyInA, onlyInB: x.onlyInB, notes: notes[k]! });
  }
  return { digestA, pairings };
}

/**
 * Compares candidates with one baseline on the same items: per metric and category, both values, the
 * difference with the interval that inverts a paired test that respects clustering by image,
 * p-values adjusted within each category family (across every candidate), and a verdict. Runs are read
 * in one streaming pass each (run-digest.ts): memory holds a few numbers per question, not the lines.
 */
export async function compareWithBaseline(
  runA: RunHeader,
  candidates: readonly RunHeader[],
  opts: CompareOptions = {},
): Promise<Comparison[]> {
  const { ctx, note } = await recordedContext(runA);
  const boot = opts.signPatterns ?? DEFAULT_SIGN_PATTERNS;
  const alpha = opts.alpha ?? ALPHA;
  const minImages = opts.minImages ?? DEFAULT_MIN_IMAGES;
  const metricIds = [...new Set(runA.record.metrics.map((m) => m.metric))];
  const registry = metricRegistry();
  const known = await Promise.all(metricIds.filter((id) => registry.has(id)).map((id) => registry.get(id)));
  const keepLinesUpTo = known.some((m) => !m.perSample && m.permutationTest) ? PERMUTATION_MAX_QUESTIONS : 0;
  const { digestA, pairings } = await digestAll(runA, candidates, { metrics: known, ctx, keepLinesUpTo }, Boolean(opts.intersect));
  const rows: ComparisonRow[][] = pairings.map(() => []);
  const families: FamilyEntry[][] = pairings.map(() => []);
  for (const id of metricIds) {
    const metric = await registry.get(id);
    const perCandidate = pairings.map(({ digest }) => {
      if (metric.perSample)
        return pairedRows(metric.perSample, metric, digestA.layouts.get(id)!, digestA.scores.get(id)!, digest.scores.get(id)!, {
          ...boot,
          alpha,
        });
      const byValue = unpairedRows(metric, digestA.aggregates.get(id)!, digest.aggregates.get(id)!);
      if (!metric.permutationTest) return byValue;
      const lines = digestA.lines && digest.lines ? { a: digestA.lines, b: digest.lines } : undefined;
      return permutationRows(metric, byValue, digestA.rows, lines, ctx, boot);
    });
    adjustAndJudge(metric, perCandidate, { alpha, margin: opts.margin, minImages });
    perCandidate.forEach((metricRows, k) => {
      // a choices file that has gone: say so on the rows that needed it, rather than a bare n/a
      if (note) for (const r of metricRows) if (r.delta === null && r.note?.includes('choices')) r.note = note;
      rows[k]!.push(...metricRows);
      families[k]!.push(
        ...familyEntries(
          metric,
          metricRows.map((r) => r.category),
        ),
      );
    });
  }
  return pairings.map((p, k) => ({
    a: { dir: runA.dir, name: runName(runA) },
    b: { dir: p.candidate.dir, name: runName(p.candidate) },
    dataset: { id: runA.record.dataset.id, sha256: runA.record.dataset.sha256 },
    items: { compared: digestA.rows, onlyInA: p.onlyInA, onlyInB: p.onlyInB },
    signPatterns: boot,
    alpha,
    minImages,
    rows: rows[k]!,
    families: families[k]!,
    notes: [
      ...p.notes,
      ...(pairings.length > 1 ? [`one of ${pairings.length} candidates against A: each family is adjusted across all of them`] : []),
    ],
  }));
}

/** Two runs: A the baseline, B the candidate. */
export async function compareRuns(runA: RunHeader, runB: RunHeader, opts: CompareOptions = {}): Promise<Comparison> {
  return (await compareWithBaseline(runA, [runB], opts))[0]!;
}
