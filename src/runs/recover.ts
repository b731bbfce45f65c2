import { existsSync } from 'node:fs';
import { readFile, truncate } from 'node:fs/promises';
import { XfError } from '../lib/errors.js';
import type { PredictionLine } from './run-dir.js';

export interface Recovered {
  rows: PredictionLine[];
  /** Bytes of a torn last line that were cut off. */
  tornBytes: number;
}

/**
 * Reads the predictions written so far. Each line is written whole with its newline in one call, so
 * only the very end can be torn (a process killed mid-write): that tail is cut off and its sample is
 * evaluated again. Any other damage, or a duplicate id, is refused.
 */
export async function recoverPredictions(file: string): Promise<Recovered> {
  if (!existsSync(file)) return { rows: [], tornBytes: 0 };
  const buf = await readFile(file);
  const lastNewline = buf.lastIndexOf(0x0a);
  const completeBytes = lastNewline + 1;
  const tornBytes = buf.length - completeBytes;
  if (tornBytes > 0) await truncate(file, completeBytes);
  const rows: PredictionLine[] = [];
  const seen = new Set<string>();
  const lines = buf.subarray(0, completeBytes).toString('utf8').split('\n').slice(0, -1);
  lines.forEach((line, i) => {
    let row: PredictionLine;
    try {
      row = JSON.parse(line) as PredictionLine;
    } catch {
      throw new XfError('E_RUN_CORRUPT', `line ${i + 1} of the predictions is not JSON`, { file, suggestion: 'Start a new run in another folder.' });
    }
    if (typeof row.id !== 'string' || seen.has(row.id)) {
      throw new XfError('E_RUN_CORRUPT', `line ${i + 1} repeats or lacks a question id`, { file, suggestion: 'Start a new run in another folder.' });
    }
    seen.add(row.id);
    rows.push(row);
  });
  return { rows, tornBytes };
}
