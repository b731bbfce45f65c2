import path from 'node:path';
import { z } from 'zod';
import { parseJson, readBytes, validate, writeFileAtomic } from '../lib/files.js';
import { gitCommit } from '../lib/git.js';
import { packageRoot, packageVersion } from '../lib/package-root.js';
import { familyEntrySchema, metricValueSchema } from '../metrics/types.js';
import { runConfigSchema } from './run-config.js';
import { RUN_FILE } from './run-dir.js';

/** run.json: what ran, on what, how, and what came out. The schema is the type: what is written is what is read. */
export const runRecordSchema = z.object({
  xfbenchVersion: z.string(),
  createdAt: z.string(),
  command: z.string(),
  gitCommit: z.string().nullable(),
  kind: z.enum(['run', 'score']),
  bundle: z.object({ name: z.string(), dir: z.string(), sha256: z.string(), fusionKind: z.string(), formatVersion: z.number().int() }).nullable(),
  /** A run against a served model (`--model openai:URL`): where, which model, how, and how many requests. Never a key. */
  endpoint: z
    .object({
      url: z.string(),
      /** The model name sent with each request. */
      model: z.string(),
      /** The model name the server reported in its answers. */
      reportedModel: z.string().nullable(),
      settings: z.object({
        temperature: z.number(),
        maxTokens: z.number().int().nullable(),
        concurrency: z.number().int(),
        timeoutMs: z.number().int(),
        maxRetries: z.number().int(),
        /** Names only: a header's value may be a credential. */
        headers: z.array(z.string()),
        apiKeyEnv: z.string().nullable(),
      }),
      requests: z.object({
        sent: z.number().int(),
        retried: z.number().int(),
        failed: z.number().int(),
        rateLimited: z.number().int(),
        /** The lowest the adaptive concurrency fell to. */
        lowestConcurrency: z.number().int(),
      }),
      tokens: z.object({ prompt: z.number().int(), completion: z.number().int() }),
    })
    .optional(),
  /** `score` only: the other system's predictions file. */
  predictionsSource: z.object({ file: z.string(), sha256: z.string(), format: z.string() }).optional(),
  dataset: z.object({ id: z.string(), dir: z.string(), sha256: z.string(), questions: z.number().int(), evaluated: z.number().int() }),
  provider: z.object({ requested: z.string(), used: z.string(), note: z.string().optional() }).nullable(),
  /** `running` while a run is in progress (or was killed); `stopped` after --max-errors or a signal. */
  status: z.enum(['running', 'complete', 'stopped']).optional(),
  /** Hashes a resumed run must match. */
  fingerprint: z.object({ bundle: z.string(), dataset: z.string(), settings: z.string(), shard: z.string().optional() }).optional(),
  errors: z.object({ count: z.number().int(), byCode: z.record(z.string(), z.number().int()) }).optional(),
  /** A continued run: predictions kept, bytes of a torn last line cut off, failed samples tried again. */
  resumed: z.object({ fromQuestions: z.number().int(), tornBytesDropped: z.number().int(), retriedFailed: z.number().int().optional() }).optional(),
  /** The settings it ran with, typed once (run-config.ts). */
  config: runConfigSchema,
  timings: z.record(z.string(), z.number()),
  metrics: z.array(metricValueSchema),
  /** Which categories of `metrics` form which family (structural, detailed, ...) and which tables show by default. */
  families: z.array(familyEntrySchema).optional(),
});
export type RunRecord = z.infer<typeof runRecordSchema>;

export function recordHeader(kind: RunRecord['kind']): Pick<RunRecord, 'xfbenchVersion' | 'createdAt' | 'command' | 'gitCommit' | 'kind'> {
  return {
    xfbenchVersion: packageVersion(),
    createdAt: new Date().toISOString(),
    command: ['xfbench', ...process.argv.slice(2)].join(' '),
    gitCommit: gitCommit(packageRoot()),
    kind,
  };
}

/** What every kind of run (run, score, merge) records of its outcome, from its totals. */
export function outcomeFields(
  dataset: Omit<RunRecord['dataset'], 'evaluated'>,
  totals: { metrics: RunRecord['metrics']; families: NonNullable<RunRecord['families']>; evaluated: number; errorsByCode: Record<string, number> },
): Pick<RunRecord, 'dataset' | 'errors' | 'metrics' | 'families'> {
  const count = Object.values(totals.errorsByCode).reduce((a, b) => a + b, 0);
  return { dataset: { ...dataset, evaluated: totals.evaluated }, errors: { count, byCode: totals.errorsByCode }, metrics: totals.metrics, families: totals.families };
}

/** The one reader of run.json: missing, malformed and mis-shaped files each get their own clear error. */
export async function readRunRecord(runDir: string): Promise<RunRecord> {
  const file = path.join(runDir, RUN_FILE);
  return validate(runRecordSchema, parseJson((await readBytes(file, 'run.json')).toString('utf8'), file), file);
}

export async function writeRunRecord(runDir: string, record: RunRecord): Promise<void> {
  await writeFileAtomic(path.join(runDir, RUN_FILE), `${JSON.stringify(record, null, 2)}\n`);
}
