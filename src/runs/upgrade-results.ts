import path from 'node:path';
import { XfError } from '../lib/errors.js';
import { writeResultsFromLog } from './results-file.js';
import { openResults } from './results-reader.js';
import { RUN_FILE } from './run-dir.js';
import { readRunRecord } from './run-record.js';

export interface UpgradeOutcome {
  runDir: string;
  /** `written`: results.parquet was (re)written; `current`: it already matched predictions.jsonl. */
  action: 'written' | 'current';
  /** Why it was written: missing, stale, or forced. */
  reason?: string;
}

/**
 * Gives a finished run from an older xfbench (or one whose results.parquet no longer matches its
 * log) its columnar file, from predictions.jsonl in the log's order; every line is checked as it is read.
 */
export async function upgradeResults(runDir: string, opts: { force?: boolean } = {}): Promise<UpgradeOutcome> {
  const record = await readRunRecord(runDir);
  if (record.status === 'running' || record.status === 'stopped') {
    throw new XfError('E_RUN_INCOMPLETE', `the run is not complete (status: ${record.status})`, {
      file: path.join(runDir, RUN_FILE),
      suggestion: 'Finish it by running the same xfbench run command again; a finished run writes its results.parquet itself.',
    });
  }
  const current = await openResults(runDir);
  if (current.state === 'fresh' && !opts.force) return { runDir, action: 'current' };
  await writeResultsFromLog(runDir);
  return { runDir, action: 'written', reason: current.state === 'fresh' ? 'forced' : current.reason };
}
