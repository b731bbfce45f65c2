import { parse as parseCsv } from 'csv-parse/sync';
import path from 'node:path';
import { z } from 'zod';
import { XfError } from '../lib/errors.js';
import { parseJson, readBytes, sha256Text, validate } from '../lib/files.js';

export type PredictionsFormat = 'gqa-json' | 'jsonl' | 'csv';

export interface ExternalPredictions {
  format: PredictionsFormat;
  sha256: string;
  byId: Map<string, string>;
}

const gqaList = z.array(z.object({ questionId: z.union([z.string(), z.number()]), prediction: z.string() }));
const jsonlLine = z.union([
  z.object({ id: z.union([z.string(), z.number()]), prediction: z.string() }),
  z.object({ questionId: z.union([z.string(), z.number()]), prediction: z.string() }),
]);

function put(map: Map<string, string>, id: string, prediction: string, file: string, where: string): void {
  if (map.has(id)) throw new XfError('E_DUPLICATE_PREDICTION', `question "${id}" has two predictions`, { file, field: where });
  map.set(id, prediction);
}

/**
 * Reads predictions made by any system: GQA's official `[{questionId, prediction}]` list, a JSONL of
 * `{id, prediction}`, or a CSV with `id` (or `questionId`) and `prediction` columns.
 */
export async function readPredictionsFile(file: string): Promise<ExternalPredictions> {
  const bytes = await readBytes(file, 'predictions file');
  const text = bytes.toString('utf8');
  const ext = path.extname(file).toLowerCase();
  const byId = new Map<string, string>();
  let format: PredictionsFormat;
  if (ext === '.csv') {
    format = 'csv';
    let records: Record<string, string>[];
    try {
      records = parseCsv(text, { columns: true, skip_empty_lines: true, bom: true }) as Record<string, string>[];
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
    format = 'jsonl';
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      const rec = validate(jsonlLine, parseJson(line, `${file}:${i + 1}`), file, `line ${i + 1}`);
      put(byId, String('id' in rec ? rec.id : rec.questionId), rec.prediction, file, `line ${i + 1}`);
    });
  } else {
    format = 'gqa-json';
    const list = validate(gqaList, parseJson(text, file), file);
    list.forEach((p, i) => put(byId, String(p.questionId), p.prediction, file, `[${i}]`));
  }
  if (byId.size === 0) throw new XfError('E_EMPTY_PREDICTIONS', 'the predictions file holds no predictions', { file });
  return { format, sha256: sha256Text(bytes), byId };
}
