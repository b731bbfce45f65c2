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

/**
 * A prediction line, checked field by field: the common case costs a few typeof checks (runs hold
 * hundreds of thousands of lines); only a line that fails goes through the schema for its message.
 */
function checkLine(value: unknown, file: string, line: number): PredictionLine {
  const v = value as Record<string, unknown> | null;
  const ok = v !== null && typeof v === 'object' && typeof v['id'] === 'string' && typeof v['imageId'] === 'string'
    && typeof v['question'] === 'string' && typeof v['prediction'] === 'string' && Array.isArray(v['answers'])
    && typeof v['group'] === 'string' && typeof v['scores'] === 'object' && v['scores'] !== null
    && typeof v['categories'] === 'object' && v['categories'] !== null && typeof v['extra'] === 'object' && v['extra'] !== null
    && Object.values(v['scores'] as object).every((x) => typeof x === 'number');
  return (ok ? v : validate(lineSchema, value, file, `line ${line}`)) as PredictionLine;
}

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
  const rows = text.split('\n').filter((l) => l.trim() !== '').map((l, i) => checkLine(parseJson(l, `${predFile}:${i + 1}`), predFile, i + 1));
  return { dir, record, rows };
}
