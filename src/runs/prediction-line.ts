import { closeSync, createReadStream, fsyncSync, openSync, writeSync } from 'node:fs';
import { z } from 'zod';
import type { Sample } from '../datasets/types.js';
import { XfError } from '../lib/errors.js';
import { validate } from '../lib/files.js';

/** A line of predictions.jsonl: the sample as asked, the prediction, and every metric's per-sample scores. */
export const predictionLineSchema = z.object({
  id: z.string(),
  imageId: z.string(),
  question: z.string(),
  prediction: z.string(),
  /** The answer as the model (or other system) gave it, before the benchmark's normalisation; absent when the two are the same. */
  raw: z.string().optional(),
  answers: z.array(z.string()),
  scores: z.record(z.string(), z.number()),
  categories: z.record(z.string(), z.string().nullable()),
  group: z.string(),
  extra: z.record(z.string(), z.unknown()),
  /** The exact text given to the LM (`run`; on an error line, the text it would have been given); absent in `score` runs and in runs from before it was kept. */
  prompt: z.string().optional(),
  /** Set when the sample could not be evaluated (e.g. an undecodable image); it is scored as unanswered. */
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type PredictionLine = z.infer<typeof predictionLineSchema>;

export function predictionLine(
  sample: Sample,
  prediction: string,
  scores: Record<string, number>,
  error?: PredictionLine['error'],
  raw?: string,
  prompt?: string,
): PredictionLine {
  return {
    id: sample.id, imageId: sample.imageId, question: sample.question, prediction, ...(raw !== undefined && raw !== prediction ? { raw } : {}), answers: sample.answers,
    scores, categories: sample.categories, group: sample.group, extra: sample.extra, ...(prompt !== undefined ? { prompt } : {}), ...(error ? { error } : {}),
  };
}

/** Appends one JSON line per sample, written through to the OS as produced. */
export class PredictionWriter {
  private fd: number;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'a');
  }

  append(line: PredictionLine): void {
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
  }

  close(): void {
    if (this.fd < 0) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
  }
}

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
  return (ok ? v : validate(predictionLineSchema, value, file, `line ${line}`)) as PredictionLine;
}

function corrupt(file: string, message: string): XfError {
  return new XfError('E_RUN_CORRUPT', message, { file, suggestion: 'Start a new run in another folder.' });
}

/**
 * The one reader of predictions.jsonl: each line parsed, streamed (a long run's file is never held
 * whole). `check: 'id'` looks at the question id only, for resuming, which needs nothing else and
 * comes before the pass that reads every field; damage is refused either way.
 */
export async function* readPredictionLines(file: string, opts: { check?: 'full' | 'id' } = {}): AsyncGenerator<PredictionLine> {
  for await (const batch of readPredictionBatches(file, opts)) yield* batch;
}

/** The same lines, a chunk's worth (about a megabyte) at a time. */
export async function* readPredictionBatches(file: string, opts: { check?: 'full' | 'id' } = {}): AsyncGenerator<PredictionLine[]> {
  const full = opts.check !== 'id';
  let i = 0;
  for await (const batch of lineBatches(file)) {
    // the lines of one chunk are parsed in one go: an await per line (readline) cost most of the read
    const parsed: PredictionLine[] = [];
    for (const text of batch) {
      i += 1;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw corrupt(file, `line ${i} of the predictions is not JSON`);
      }
      if (full) parsed.push(checkLine(value, file, i));
      else if (typeof (value as { id?: unknown } | null)?.id !== 'string') throw corrupt(file, `line ${i} lacks a question id`);
      else parsed.push(value as PredictionLine);
    }
    if (parsed.length > 0) yield parsed;
  }
}

/** A file's lines, a chunk's worth at a time (never the whole file at once); a last line without a newline is a line too. */
async function* lineBatches(file: string): AsyncGenerator<string[]> {
  let rest = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const lines = (rest + (chunk as string)).split('\n');
    rest = lines.pop()!;
    yield lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }
  if (rest !== '') yield [rest.endsWith('\r') ? rest.slice(0, -1) : rest];
}
