import path from 'node:path';
import { z } from 'zod';
import { XfError } from '../lib/errors.js';
import { readJson, writeFileAtomic } from '../lib/files.js';
import { metricValueSchema } from '../metrics/types.js';

/** A suite: several benchmarks run with one bundle, reported together the way papers tabulate them. */
export const suiteSpecSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().min(1),
    description: z.string().optional(),
    benchmarks: z
      .array(
        z
          .object({
            /** The member's folder name inside the suite folder, and its row in the summary (default: the dataset id). */
            name: z
              .string()
              .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only')
              .optional(),
            dataset: z.string().min(1),
            /** Relative paths are taken from the suite file's folder; default: the dataset's bundled mini set. */
            data: z.string().optional(),
            limit: z.number().int().positive().optional(),
            allQuestions: z.boolean().optional(),
            choices: z.string().optional(),
            imageTemplate: z.string().optional(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();
export type SuiteSpec = z.infer<typeof suiteSpecSchema>;
export type SuiteMember = SuiteSpec['benchmarks'][number] & { name: string };

export const SUITE_FILE = 'suite.json';

/** suite.json, in the suite folder: what ran and each member's headline figure. */
export const suiteRecordSchema = z.object({
  kind: z.literal('suite'),
  name: z.string(),
  xfbenchVersion: z.string(),
  createdAt: z.string(),
  /** The model: a bundle's name and hash, or a served model's name and the hash of its endpoint and name (with `endpoint`). */
  bundle: z.object({ name: z.string(), sha256: z.string(), endpoint: z.string().optional() }),
  members: z.array(
    z.object({
      name: z.string(),
      dataset: z.string(),
      /** The member's run folder, relative to the suite folder. */
      run: z.string(),
      questions: z.number().int(),
      headline: metricValueSchema.nullable(),
    }),
  ),
});
export type SuiteRecord = z.infer<typeof suiteRecordSchema>;

/** Reads a suite file; members get their names, duplicate names are refused, data paths resolve from the file's folder. */
export async function loadSuiteSpec(file: string): Promise<{ spec: SuiteSpec; members: SuiteMember[] }> {
  const { value: spec } = await readJson(file, suiteSpecSchema, 'suite file');
  const base = path.dirname(file);
  const members = spec.benchmarks.map((b) => ({
    ...b,
    name: b.name ?? b.dataset,
    data: b.data ? path.resolve(base, b.data) : undefined,
    choices: b.choices ? path.resolve(base, b.choices) : undefined,
  }));
  const seen = new Set<string>();
  for (const [i, m] of members.entries()) {
    if (seen.has(m.name))
      throw new XfError('E_SCHEMA', `two benchmarks are named "${m.name}"`, {
        file,
        field: `benchmarks[${i}].name`,
        suggestion: 'Give each a "name" of its own.',
      });
    seen.add(m.name);
  }
  return { spec, members };
}

export async function readSuiteRecord(dir: string): Promise<SuiteRecord> {
  return (await readJson(path.join(dir, SUITE_FILE), suiteRecordSchema, 'suite.json')).value;
}

export async function writeSuiteRecord(dir: string, record: SuiteRecord): Promise<void> {
  await writeFileAtomic(path.join(dir, SUITE_FILE), `${JSON.stringify(record, null, 2)}\n`);
}
