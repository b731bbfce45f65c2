import { parse as parseCsv } from 'csv-parse/sync';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { XfError } from '../lib/errors.js';
import { checkedFile, parseJson, readBytes, sha256Text, validate } from '../lib/files.js';
import { streamJsonMembers } from '../lib/json-stream.js';

export type PredictionsFormat = 'gqa-json' | 'jsonl' | 'csv';

export interface ExternalPredictions {
  format: PredictionsFormat;
  sha256: string;
  byId: Map<string, string>;
}

const gqaItem = z.object({ questionId: z.union([z.string(), z.number()]), prediction: z.string() });
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
      const rec = validate(jsonlLine, parseJson(line, `${file}:${i}`), file, `line ${i}`);
      put(byId, String('id' in rec ? rec.id : rec.questionId), rec.prediction, file, `line ${i}`);
    }
    sha256 = hash.digest('hex');
  } else {
    format = 'gqa-json';
    let digest = '';
    for await (const { key, value } of streamJsonMembers(await checkedFile(file, 'predictions file'), { onDone: (h) => { digest = h; } })) {
      if (typeof key !== 'number') throw new XfError('E_SCHEMA', 'expected a list of {questionId, prediction}, found an object', { file });
      const p = validate(gqaItem, value, file, `[${key}]`);
      put(byId, String(p.questionId), p.prediction, file, `[${key}]`);
    }
    sha256 = digest;
  }
  if (byId.size === 0) throw new XfError('E_EMPTY_PREDICTIONS', 'the predictions file holds no predictions', { file });
  return { format, sha256, byId };
}
