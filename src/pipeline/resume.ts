import { existsSync } from 'node:fs';
import path from 'node:path';
import { XfError } from '../lib/errors.js';
import { sha256Text } from '../lib/files.js';
import { RUN_FILE } from '../runs/run-dir.js';
import { ANSWER_SETTING_FLAGS, answerSettingsOf, firstAnswerDifference, type RunConfig } from '../runs/run-config.js';
import { readRunRecord, type RunRecord } from '../runs/run-record.js';
import { shardLabel, type Shard } from './shards.js';

export type Fingerprint = NonNullable<RunRecord['fingerprint']>;

/** What must match for a run folder to be continued: the bundle, the data, and every setting that changes answers. */
export function fingerprint(bundleHash: string, datasetHash: string, config: RunConfig, shard?: Shard): Fingerprint {
  return {
    bundle: bundleHash,
    dataset: datasetHash,
    settings: sha256Text(JSON.stringify(answerSettingsOf(config))),
    ...(shard ? { shard: shardLabel(shard) } : {}),
  };
}

/** The record of the run already in the folder, if any. */
export async function previousRecord(runDir: string): Promise<RunRecord | undefined> {
  return existsSync(path.join(runDir, RUN_FILE)) ? readRunRecord(runDir) : undefined;
}

/** Which answer setting differs, named by its flag, when the previous config says. */
function settingsLabel(previous: RunConfig, now: RunConfig): string {
  const diff = firstAnswerDifference(previous, now);
  return diff ? `settings (${ANSWER_SETTING_FLAGS[diff.key]}: ${diff.a} then, ${diff.b} now)` : 'settings that change answers';
}

export function checkResumable(previous: RunRecord, now: Fingerprint, config: RunConfig, runDir: string): void {
  const was = previous.fingerprint;
  const file = path.join(runDir, RUN_FILE);
  if (!was) throw new XfError('E_RESUME_MISMATCH', 'this run folder was not written by a resumable run', { file });
  const settings = settingsLabel(previous.config, config);
  for (const [key, label] of [
    ['bundle', 'model bundle'],
    ['dataset', 'dataset files'],
    ['settings', settings],
    ['shard', 'shard (--shard)'],
  ] as const) {
    if (was[key] !== now[key]) {
      throw new XfError('E_RESUME_MISMATCH', `cannot continue this run: the ${label} differ from the ones it was started with`, {
        file,
        field: `fingerprint.${key}`,
        suggestion: 'Use the same flags as the first time, or another --out for a new run.',
      });
    }
  }
}

/** A run continues on the execution provider it started on: answers may differ in the last bits between providers. */
export function checkSameProvider(previous: RunRecord | undefined, used: string, runDir: string): void {
  if (previous?.provider && previous.provider.used !== used) {
    throw new XfError('E_RESUME_MISMATCH', `cannot continue this run on ${used}: it was started on ${previous.provider.used}`, {
      file: path.join(runDir, RUN_FILE),
      field: 'provider.used',
      suggestion: `Resume with --device ${previous.provider.used}.`,
    });
  }
}
