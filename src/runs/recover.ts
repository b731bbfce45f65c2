import { existsSync } from 'node:fs';
import { open, truncate } from 'node:fs/promises';
import { XfError } from '../lib/errors.js';
import { readPredictionLines } from './prediction-line.js';

export interface Recovered {
  /** Question ids already answered. */
  ids: Set<string>;
  /** Bytes of a torn last line that were cut off. */
  tornBytes: number;
}

/** Size of the file up to and including its last newline (0 when it has none). */
async function completeLength(file: string): Promise<{ size: number; complete: number }> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const chunk = Buffer.alloc(64 * 1024);
    for (let end = size; end > 0; end -= chunk.length) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await fh.read(chunk, 0, end - start, start);
      const nl = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (nl >= 0) return { size, complete: start + nl + 1 };
    }
    return { size, complete: 0 };
  } finally {
    await fh.close();
  }
}

/**
 * The ids answered so far. Each line is written whole with its newline in one call, so only the very
 * end can be torn (a process killed mid-write): that tail is cut off and its sample is evaluated
 * again. Any other damage, or a duplicate id, is refused.
 */
export async function recoverPredictions(file: string): Promise<Recovered> {
  const ids = new Set<string>();
  if (!existsSync(file)) return { ids, tornBytes: 0 };
  const { size, complete } = await completeLength(file);
  if (complete < size) await truncate(file, complete);
  let line = 0;
  for await (const row of readPredictionLines(file, { check: 'id' })) {
    line += 1;
    if (ids.has(row.id)) {
      throw new XfError('E_RUN_CORRUPT', `line ${line} repeats question id "${row.id}"`, { file, suggestion: 'Start a new run in another folder.' });
    }
    ids.add(row.id);
  }
  return { ids, tornBytes: size - complete };
}
