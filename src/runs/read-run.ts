import { existsSync } from 'node:fs';
import path from 'node:path';
import { XfError } from '../lib/errors.js';
import { familiesOfValues } from '../metrics/stored-families.js';
import { readPredictionBatches, type PredictionLine } from './prediction-line.js';
import type { ScoredSample } from '../metrics/types.js';
import { openResults, resultLineBatches, resultSampleBatches } from './results-reader.js';
import { PREDICTIONS_FILE, RUN_FILE } from './run-dir.js';
import { readRunRecord, type RunRecord } from './run-record.js';

/** A finished run as its record describes it; its lines are read when needed (`runLineBatches`). */
export interface RunHeader {
  dir: string;
  record: RunRecord;
}

/** A finished run with every line in memory. */
export interface LoadedRun extends RunHeader {
  rows: PredictionLine[];
}

/** How a run is called in tables and reports: its bundle (or the scored system), and an ablation if it had one. */
export function runName(run: RunHeader): string {
  const name = run.record.bundle?.name ?? run.record.endpoint?.model ?? run.record.config.name ?? run.dir;
  const ablate = run.record.config.ablate;
  return ablate?.length ? `${name} [${ablate.map((a) => `${a.encoder}=${a.mode}`).join(', ')}]` : name;
}

/** Reads and validates a finished run directory written by `xfbench run` or `xfbench score`, without its lines. */
export async function readRunHeader(dir: string): Promise<RunHeader> {
  const record = await readRunRecord(dir);
  const predFile = path.join(dir, PREDICTIONS_FILE);
  if (!existsSync(predFile)) throw new XfError('E_MISSING_FILE', 'predictions.jsonl not found', { file: predFile });
  if (record.status === 'running' || record.status === 'stopped') {
    throw new XfError('E_RUN_INCOMPLETE', `the run is not complete (status: ${record.status})`, {
      file: path.join(dir, RUN_FILE), suggestion: 'Finish it by running the same xfbench run command again.',
    });
  }
  record.families ??= await familiesOfValues(record.metrics);
  const shard = record.config.shard;
  if (shard) {
    throw new XfError('E_RUN_SHARD', `this run is shard ${shard.index}/${shard.count} of the dataset, not the whole of it`, {
      file: path.join(dir, RUN_FILE), suggestion: 'Merge the shards first: xfbench merge SHARD_DIR... --out DIR.',
    });
  }
  return { dir, record };
}

/** A finished run with every line (in dataset order where results.parquet is current). */
export async function readRun(dir: string): Promise<LoadedRun> {
  const header = await readRunHeader(dir);
  const rows: PredictionLine[] = [];
  for await (const batch of runLineBatches(header)) for (const line of batch) rows.push(line);
  return { ...header, rows };
}

/** Where a run's lines come from, and what a refusal of one of them names. */
export interface LineSource<T> {
  file: string;
  unit: 'line' | 'row';
  batches: AsyncIterable<T[]> | Iterable<T[]>;
}

/** A run's lines: those in memory as one batch, else results.parquet where it matches the log, else predictions.jsonl. */
export async function runLineSource(run: RunHeader | LoadedRun): Promise<LineSource<PredictionLine>> {
  const log = path.join(run.dir, PREDICTIONS_FILE);
  if ('rows' in run) return { file: log, unit: 'line', batches: [run.rows] };
  const results = await openResults(run.dir);
  if (results.state === 'fresh') return { file: results.source.file, unit: 'row', batches: resultLineBatches(results.source) };
  return { file: log, unit: 'line', batches: readPredictionBatches(log) };
}

/** The same, for a reader of scored samples only (compare): from results.parquet, the columns a scorer reads. */
export async function runSampleSource(run: RunHeader | LoadedRun): Promise<LineSource<ScoredSample>> {
  if (!('rows' in run)) {
    const results = await openResults(run.dir);
    if (results.state === 'fresh') return { file: results.source.file, unit: 'row', batches: resultSampleBatches(results.source) };
  }
  return runLineSource(run);
}

/** A run's lines a batch at a time (runLineSource). */
export async function* runLineBatches(run: RunHeader | LoadedRun): AsyncGenerator<PredictionLine[]> {
  yield* (await runLineSource(run)).batches;
}

/** A run with every line in memory: as it is when it already has them, else read. */
export async function loadRun(run: RunHeader | LoadedRun): Promise<LoadedRun> {
  return 'rows' in run ? run : readRun(run.dir);
}
