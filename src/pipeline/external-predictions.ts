import { parse as parseCsv } from 'csv-parse/sync';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { XfError } from '../lib/errors.js';
import { checkedFile, parseJson, readBytes, sha256File, sha256Text, validate } from '../lib/files.js';
import { readRun } from '../runs/read-run.js';
import { PREDICTIONS_FILE } from '../runs/run-dir.js';
import { streamJsonMembers } from '../lib/json-stream.js';

export type PredictionsFormat = 'gqa-json' | 'vqa-json' | 'jsonl' | 'lmms-eval-samples' | 'csv' | 'xfbench-run';

export interface ExternalPredictions {
  format: PredictionsFormat;
  sha256: string;
  byId: Map<string, string>;
}

const gqaItem = z.object({ questionId: z.union([z.string(), z.number()]), prediction: z.string() });
/** The official VQA results format: [{"question_id": …, "answer": …}]. */
const vqaItem = z.object({ question_id: z.union([z.string(), z.number()]), answer: z.string() });
const listItem = z.union([gqaItem, vqaItem]);
const jsonlLine = z.union([
  z.object({ id: z.union([z.string(), z.number()]), prediction: z.string() }),
  z.object({ questionId: z.union([z.string(), z.number()]), prediction: z.string() }),
]);

interface LmmsEvalSample {
  doc: Record<string, unknown>;
  resps?: unknown;
  filtered_resps?: unknown;
}

/** A line of lmms-eval's `--log_samples` output: the dataset record (`doc`) and the model's responses. */
function isLmmsEvalSample(v: unknown): v is LmmsEvalSample {
  return typeof v === 'object' && v !== null && typeof (v as LmmsEvalSample).doc === 'object' && ('filtered_resps' in v || 'resps' in v);
}

/** The question id most datasets' records carry. */
function defaultIdOfDoc(doc: Record<string, unknown>): string | undefined {
  const id = doc['question_id'] ?? doc['questionId'] ?? doc['id'];
  return id === undefined || id === null ? undefined : String(id);
}

/** The first string in lmms-eval's (possibly nested) response lists. */
function firstText(resps: unknown): string {
  if (typeof resps === 'string') return resps;
  if (Array.isArray(resps)) for (const r of resps) { const t = firstText(r); if (t !== '') return t; }
  return '';
}

function put(map: Map<string, string>, id: string, prediction: string, file: string, where: string): void {
  if (map.has(id)) throw new XfError('E_DUPLICATE_PREDICTION', `question "${id}" has two predictions`, { file, field: where });
  map.set(id, prediction);
}

/**
 * Reads predictions made by any system: GQA's official `[{questionId, prediction}]` list, the official
 * VQA results file `[{question_id, answer}]`, a JSONL of `{id, prediction}`, lmms-eval's
 * `--log_samples` JSONL (ids from each line's `doc`, through `idOfDoc` where a dataset keys its
 * samples otherwise), or a CSV with `id` (or `questionId`) and `prediction` columns.
 */
export async function readPredictionsFile(file: string, opts: { idOfDoc?: (doc: Record<string, unknown>) => string | undefined } = {}): Promise<ExternalPredictions> {
  const ext = path.extname(file).toLowerCase();
  const byId = new Map<string, string>();
  let format: PredictionsFormat;
  let sha256: string;
  if (ext === '.csv') {
    format = 'csv';
    const bytes = await readBytes(file, 'predictions file');
    sha256 = sha256Text(bytes);
    let records: Record<string, string>[];
    try {
      records = parseCsv(bytes.toString('utf8'), { columns: true, skip_empty_lines: true, bom: true }) as Record<string, string>[];
    } catch (err) {
      throw new XfError('E_BAD_CSV', `malformed CSV (${(err as Error).message.split('\n')[0]})`, { file });
    }
    records.forEach((r, i) => {
      const id = r['id'] ?? r['questionId'];
      if (id === undefined || r['prediction'] === undefined) {
        throw new XfError('E_SCHEMA', 'CSV needs the columns id (or questionId) and prediction', { file, field: `row ${i + 2}` });
      }
      put(byId, id, r['prediction'], file, `row ${i + 2}`);
    });
  } else if (ext === '.jsonl') {
    // line by line: a million predictions never become one string
    format = 'jsonl';
    const hash = createHash('sha256');
    const input = createReadStream(await checkedFile(file, 'predictions file'));
    input.on('data', (chunk) => hash.update(chunk as Buffer));
    let i = 0;
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      i += 1;
      if (line.trim() === '') continue;
      const value = parseJson(line, `${file}:${i}`);
      if (isLmmsEvalSample(value)) {
        format = 'lmms-eval-samples';
        const id = (opts.idOfDoc ?? defaultIdOfDoc)(value.doc);
        if (id === undefined) throw new XfError('E_SCHEMA', 'the logged sample\'s doc names no question id (question_id, questionId or id)', { file, field: `line ${i}.doc` });
        put(byId, id, firstText(value.filtered_resps ?? value.resps), file, `line ${i}`);
        continue;
      }
      const rec = validate(jsonlLine, value, file, `line ${i}`);
      put(byId, String('id' in rec ? rec.id : rec.questionId), rec.prediction, file, `line ${i}`);
    }
    sha256 = hash.digest('hex');
  } else {
    // a JSON list: GQA's [{questionId, prediction}] or VQA's [{question_id, answer}], told apart by content
    let kind: PredictionsFormat | undefined;
    let digest = '';
    for await (const { key, value } of streamJsonMembers(await checkedFile(file, 'predictions file'), { onDone: (h) => { digest = h; } })) {
      if (typeof key !== 'number') throw new XfError('E_SCHEMA', 'expected a list of {questionId, prediction} (GQA) or {question_id, answer} (VQA), found an object', { file });
      const p = validate(listItem, value, file, `[${key}]`);
      const here: PredictionsFormat = 'questionId' in p ? 'gqa-json' : 'vqa-json';
      if (kind && kind !== here) throw new XfError('E_SCHEMA', `item ${key} is in the ${here} shape, the ones before it in the ${kind} shape`, { file, field: `[${key}]` });
      kind = here;
      put(byId, String('questionId' in p ? p.questionId : p.question_id), 'prediction' in p ? p.prediction : p.answer, file, `[${key}]`);
    }
    format = kind ?? 'gqa-json';
    sha256 = digest;
  }
  if (byId.size === 0) throw new XfError('E_EMPTY_PREDICTIONS', 'the predictions file holds no predictions', { file });
  return { format, sha256, byId };
}

/**
 * The answers of an xfbench run as it gave them (the raw text where the line keeps it), to score them
 * again, with another normalisation or none.
 */
export async function readRunAnswers(dir: string): Promise<ExternalPredictions & { dataset: { id: string; dir: string } }> {
  const run = await readRun(dir);
  const byId = new Map<string, string>();
  for (const line of run.rows) if (!line.error) byId.set(line.id, line.raw ?? line.prediction);
  const file = path.join(dir, PREDICTIONS_FILE);
  if (byId.size === 0) throw new XfError('E_EMPTY_PREDICTIONS', 'the run holds no answered question', { file });
  return { format: 'xfbench-run', sha256: await sha256File(file), byId, dataset: { id: run.record.dataset.id, dir: run.record.dataset.dir } };
}
