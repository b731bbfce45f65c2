import path from 'node:path';
import { gitCommit } from '../lib/git.js';
import { packageRoot, packageVersion } from '../lib/package-root.js';
import type { MetricValue } from '../metrics/types.js';
import { RUN_FILE, writeFileAtomic } from './run-dir.js';

/** The contents of run.json: what ran, on what, how, and what came out. */
export interface RunRecord {
  xfbenchVersion: string;
  createdAt: string;
  command: string;
  gitCommit: string | null;
  kind: 'run' | 'score';
  bundle: { name: string; dir: string; sha256: string; fusionKind: string; formatVersion: number } | null;
  predictionsSource?: { file: string; sha256: string; format: string };
  dataset: { id: string; dir: string; sha256: string; questions: number; evaluated: number };
  provider: { requested: string; used: string; note?: string } | null;
  /** `running` while a run is in progress (or was killed); `stopped` after --max-errors or a signal. */
  status?: 'running' | 'complete' | 'stopped';
  /** Hashes a resumed run must match. */
  fingerprint?: { bundle: string; dataset: string; settings: string };
  errors?: { count: number; byCode: Record<string, number> };
  resumed?: { fromQuestions: number; tornBytesDropped: number };
  config: Record<string, unknown>;
  timings: Record<string, number>;
  metrics: MetricValue[];
}

export function recordHeader(kind: RunRecord['kind']): Pick<RunRecord, 'xfbenchVersion' | 'createdAt' | 'command' | 'gitCommit' | 'kind'> {
  return {
    xfbenchVersion: packageVersion(),
    createdAt: new Date().toISOString(),
    command: ['xfbench', ...process.argv.slice(2)].join(' '),
    gitCommit: gitCommit(packageRoot()),
    kind,
  };
}

export async function writeRunRecord(runDir: string, record: RunRecord): Promise<void> {
  await writeFileAtomic(path.join(runDir, RUN_FILE), `${JSON.stringify(record, null, 2)}\n`);
}
