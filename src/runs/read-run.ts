import { existsSync } from 'node:fs';
import path from 'node:path';
import { XfError } from '../lib/errors.js';
import { familiesOfValues } from '../metrics/stored-families.js';
import { readPredictionLines, type PredictionLine } from './prediction-line.js';
import { PREDICTIONS_FILE, RUN_FILE } from './run-dir.js';
import { readRunRecord, type RunRecord } from './run-record.js';

export interface LoadedRun {
  dir: string;
  record: RunRecord;
  rows: PredictionLine[];
}

/** How a run is called in tables and reports: its bundle (or the scored system), and an ablation if it had one. */
export function runName(run: LoadedRun): string {
  const name = run.record.bundle?.name ?? run.record.config.name ?? run.dir;
  const ablate = run.record.config.ablate;
  return ablate?.length ? `${name} [${ablate.map((a) => `${a.encoder}=${a.mode}`).join(', ')}]` : name;
}

/** Reads and validates a finished run directory written by `xfbench run` or `xfbench score`. */
export async function readRun(dir: string): Promise<LoadedRun> {
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
  const rows: PredictionLine[] = [];
  for await (const row of readPredictionLines(predFile)) rows.push(row);
  return { dir, record, rows };
}
