import { parse as parseCsv } from 'csv-parse/sync';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { XfError } from '../../lib/errors.js';
import { checkedFile, parseJson, readBytes, sha256Text, validate } from '../../lib/files.js';
import type { AnswerFile } from '../types.js';
import { AnswerCollector } from './collect.js';
import { readJsonListAnswers } from './json-list.js';

const idValue = z.union([z.string(), z.number()]);
const jsonlLine = z.union([z.object({ id: idValue, prediction: z.string() }), z.object({ questionId: idValue, prediction: z.string() })]);

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
  if (Array.isArray(resps))
    for (const r of resps) {
      const t = firstText(r);
      if (t !== '') return t;
    }
  return '';
}

async function readCsv(file: string): Promise<AnswerFile> {
  const bytes = await readBytes(file, 'predictions file');
  let records: Record<string, string>[];
  try {
    records = parseCsv(bytes.toString('utf8'), { columns: true, skip_empty_lines: true, bom: true }) as Record<string, string>[];
  } catch (err) {
    throw new XfError('E_BAD_CSV', `malformed CSV (${(err as Error).message.split('\n')[0]})`, { file });
  }
  const answers = new AnswerCollector(file);
  records.forEach((r, i) => {
    const id = r['id'] ?? r['questionId'];
    if (id === undefined || r['prediction'] === undefined) {
      throw new XfError('E_SCHEMA', 'CSV needs the columns id (or questionId) and prediction', { file, field: `row ${i + 2}` });
    }
    answers.put(id, r['prediction'], `row ${i + 2}`);
  });
  return answers.finish('csv', sha256Text(bytes));
}

/** JSON lines of `{id, prediction}`, or lmms-eval's logged samples; read line by line (a million never become one string). */
async function readJsonLines(file: string, idOfDoc: (doc: Record<string, unknown>) => string | undefined): Promise<AnswerFile> {
  let format = 'jsonl';
  const hash = createHash('sha256');
  const input = createReadStream(await checkedFile(file, 'predictions file'));
  input.on('data', (chunk) => hash.update(chunk as Buffer));
  const answers = new AnswerCollector(file);
  let i = 0;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    i += 1;
    if (line.trim() === '') continue;
    const value = parseJson(line, `${file}:${i}`);
    if (isLmmsEvalSample(value)) {
      format = 'lmms-eval-samples';
      const id = idOfDoc(value.doc);
      if (id === undefined)
        throw new XfError('E_SCHEMA', "the logged sample's doc names no question id (question_id, questionId or id)", {
          file,
          field: `line ${i}.doc`,
        });
      answers.put(id, firstText(value.filtered_resps ?? value.resps), `line ${i}`);
      continue;
    }
    const rec = validate(jsonlLine, value, file, `line ${i}`);
    answers.put(String('id' in rec ? rec.id : rec.questionId), rec.prediction, `line ${i}`);
  }
  return answers.finish(format, hash.digest('hex'));
}

const jsonListItem = z.object({ id: idValue, prediction: z.string() });

/**
 * Predictions in the layouts any system can write, for any dataset: a JSONL of `{id, prediction}`,
 * lmms-eval's `--log_samples` JSONL (ids from each line's `doc`, through `idOfDoc` where a dataset keys
 * its samples otherwise), a CSV with `id` (or `questionId`) and `prediction` columns, or a JSON list of
 * `{id, prediction}`. A benchmark's own layouts (GQA's and VQA's official files, MME's, POPE's, ...)
 * are read by its adapter first.
 */
export async function readGenericAnswers(
  file: string,
  opts: { idOfDoc?: (doc: Record<string, unknown>) => string | undefined } = {},
): Promise<AnswerFile> {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return readCsv(file);
  if (ext === '.jsonl') return readJsonLines(file, opts.idOfDoc ?? defaultIdOfDoc);
  const list = await readJsonListAnswers(file, {
    format: 'json',
    item: jsonListItem,
    recognises: (first) => 'id' in first && 'prediction' in first,
    id: (p) => String(p.id),
    answer: (p) => p.prediction,
  });
  if (list) return list;
  throw new XfError(
    'E_SCHEMA',
    'not a predictions file xfbench reads for this dataset (a JSON list of {id, prediction}, a JSONL, lmms-eval samples, or a CSV; see `xfbench list`)',
    { file },
  );
}
