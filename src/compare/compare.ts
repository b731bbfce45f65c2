import { existsSync } from 'node:fs';
import { datasetRegistry } from '../datasets/registry.js';
import { XfError } from '../lib/errors.js';
import { familyEntries } from '../metrics/categories.js';
import { metricRegistry } from '../metrics/registry.js';
import { DEFAULT_SIGN_PATTERNS } from '../metrics/stats.js';
import type { AggregateContext, FamilyEntry } from '../metrics/types.js';
import { runName, type LoadedRun } from '../runs/read-run.js';
import { scoringContext } from '../runs/scoring-context.js';
import { firstAnswerDifference, SCORING_KEYS } from '../runs/run-config.js';
import { adjustAndJudge, DEFAULT_MIN_IMAGES } from './multiplicity.js';
import { pairedRows, unpairedRows } from './paired-rows.js';
import { permutationRows } from './permutation-rows.js';
import { verifyStoredScores } from './verify-scores.js';
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
function checkSameScoring(runA: LoadedRun, runB: LoadedRun): string[] {
  const diff = firstAnswerDifference(runA.record.config, runB.record.config, SCORING_KEYS);
  if (diff) {
    throw new XfError('E_SETTINGS_DIFFER', `the runs were scored differently (${diff.key}: ${diff.a} in A, ${diff.b} in B)`, {
      file: runB.dir,
      field: `config.${diff.key}`,
      suggestion: 'Run or score both with the same --all-questions and --choices, and the same xfbench metrics.',
    });
  }
  // a model run has no `raw`: its answers are always normalised
  const raw = (run: LoadedRun) => run.record.config.raw === true;
  return raw(runA) === raw(runB)
    ? []
    : [`A's answers were scored ${raw(runA) ? 'raw' : 'normalised'}, B's ${raw(runB) ? 'raw' : 'normalised'} (--raw)`];
}

/** The scoring context the runs recorded: their --all-questions and, when its file is still there, their --choices. */
async function recordedContext(run: LoadedRun): Promise<{ ctx: AggregateContext; note?: string }> {
  const { allQuestions, choices } = run.record.config;
  const registry = datasetRegistry();
  const adapter = registry.has(run.record.dataset.id) ? await registry.get(run.record.dataset.id) : undefined;
  if (choices && (!adapter?.loadChoices || !existsSync(choices)))
    return { ctx: { includeUnbalanced: allQuestions }, note: `n/a: the runs' choices file ${choices} is no longer there` };
  return { ctx: adapter ? await scoringContext(adapter, { allQuestions, choices }) : { includeUnbalanced: allQuestions } };
}

interface Pairing {
  candidate: LoadedRun;
  rowsA: LoadedRun['rows'];
  rowsB: LoadedRun['rows'];
  byIdB: Map<string, LoadedRun['rows'][number]>;
  onlyInA: number;
  onlyInB: number;
  notes: string[];
}

/** The items a candidate shares with the baseline, after the checks that the two can be compared at all. */
function pairWith(runA: LoadedRun, runB: LoadedRun, intersect: boolean): Pairing {
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
  const notes = checkSameScoring(runA, runB);
  const byIdB = new Map(runB.rows.map((r) => [r.id, r]));
  const idsA = new Set(runA.rows.map((r) => r.id));
  const onlyInA = runA.rows.filter((r) => !byIdB.has(r.id)).length;
  const onlyInB = runB.rows.filter((r) => !idsA.has(r.id)).length;
  if ((onlyInA > 0 || onlyInB > 0) && !intersect) {
    throw new XfError('E_ITEMS_DIFFER', `the runs evaluated different items (${onlyInA} only in A, ${onlyInB} only in B)`, {
      file: runB.dir,
      suggestion: 'Pass --intersect to compare the common items.',
    });
  }
  const rowsA = runA.rows.filter((r) => byIdB.has(r.id));
  if (rowsA.length === 0) throw new XfError('E_ITEMS_DIFFER', 'the runs have no item in common', { file: runB.dir });
  return { candidate: runB, rowsA, rowsB: rowsA.map((r) => byIdB.get(r.id)!), byIdB, onlyInA, onlyInB, notes };
}

/**
 * Compares candidates with one baseline on the same items: per metric and category, both values, the
 * difference with the interval that inverts a paired test that respects clustering by image,
 * p-values adjusted within each category family (across every candidate), and a verdict.
 */
export async function compareWithBaseline(
  runA: LoadedRun,
  candidates: readonly LoadedRun[],
  opts: CompareOptions = {},
): Promise<Comparison[]> {
  const pairings = candidates.map((b) => pairWith(runA, b, Boolean(opts.intersect)));
  const { ctx, note } = await recordedContext(runA);
  const boot = opts.signPatterns ?? DEFAULT_SIGN_PATTERNS;
  const alpha = opts.alpha ?? ALPHA;
  const minImages = opts.minImages ?? DEFAULT_MIN_IMAGES;
  const metricIds = [...new Set(runA.record.metrics.map((m) => m.metric))];
  const registry = metricRegistry();
  const known = await Promise.all(metricIds.filter((id) => registry.has(id)).map((id) => registry.get(id)));
  for (const run of [runA, ...candidates]) verifyStoredScores(run, known);
  const rows: ComparisonRow[][] = pairings.map(() => []);
  const families: FamilyEntry[][] = pairings.map(() => []);
  for (const id of metricIds) {
    const metric = await registry.get(id);
    const perCandidate = pairings.map((p) =>
      metric.perSample
        ? pairedRows(metric.perSample, metric, p.rowsA, p.byIdB, ctx, { ...boot, alpha })
        : metric.permutationTest
          ? permutationRows(metric, p.rowsA, p.rowsB, ctx, boot)
          : unpairedRows(metric, p.rowsA, p.rowsB, ctx),
    );
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
    items: { compared: p.rowsA.length, onlyInA: p.onlyInA, onlyInB: p.onlyInB },
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
export async function compareRuns(runA: LoadedRun, runB: LoadedRun, opts: CompareOptions = {}): Promise<Comparison> {
  return (await compareWithBaseline(runA, [runB], opts))[0]!;
}
