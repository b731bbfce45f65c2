import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { XfError } from '../lib/errors.js';
import { parseJson, readBytes, validate } from '../lib/files.js';
import type { PredictionLine } from './run-dir.js';
import { PREDICTIONS_FILE, RUN_FILE } from './run-dir.js';
import type { RunRecord } from './run-record.js';

const intervalSchema = z.object({ low: z.number(), high: z.number(), method: z.enum(['wilson', 'cluster-bootstrap', 'normal']) }).passthrough();
const metricValueSchema = z.object({
  metric: z.string(), category: z.string(), value: z.number().nullable(), n: z.number().int(), higherIsBetter: z.boolean(),
  interval: intervalSchema.optional(), clusterInterval: intervalSchema.optional(), note: z.string().optional(),
});
const runRecordSchema = z.object({
  xfbenchVersion: z.string(),
  kind: z.enum(['run', 'score']),
  status: z.enum(['running', 'complete', 'stopped']).optional(),
  dataset: z.object({ id: z.string(), dir: z.string(), sha256: z.string(), questions: z.number(), evaluated: z.number() }),
  metrics: z.array(metricValueSchema),
}).passthrough();

const lineSchema = z.object({
  id: z.string(), imageId: z.string(), question: z.string(), prediction: z.string(), answers: z.array(z.string()),
  scores: z.record(z.string(), z.number()), categories: z.record(z.string(), z.string().nullable()), group: z.string(),
  extra: z.record(z.string(), z.unknown()),
});

export interface LoadedRun {
  dir: string;
  record: RunRecord;
  rows: PredictionLine[];
}

/** Reads and validates a run directory written by `xfbench run` or `xfbench score`. */
export async function readRun(dir: string): Promise<LoadedRun> {
  const runFile = path.join(dir, RUN_FILE);
  const record = validate(runRecordSchema, parseJson((await readBytes(runFile, 'run.json')).toString('utf8'), runFile), runFile) as unknown as RunRecord;
  const predFile = path.join(dir, PREDICTIONS_FILE);
  let text: string;
  try {
    text = await readFile(predFile, 'utf8');
  } catch {
    throw new XfError('E_MISSING_FILE', 'predictions.jsonl not found', { file: predFile });
  }
  if (record.status === 'running' || record.status === 'stopped') {
    throw new XfError('E_RUN_INCOMPLETE', `the run is not complete (status: ${record.status})`, {
      file: runFile, suggestion: 'Finish it by running the same xfbench run command again.',
    });
  }
  const rows = text.split('\n').filter((l) => l.trim() !== '').map((l, i) => validate(lineSchema, parseJson(l, `${predFile}:${i + 1}`), predFile, `line ${i + 1}`) as PredictionLine);
  return { dir, record, rows };
}
