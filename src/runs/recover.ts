import { existsSync } from 'node:fs';
import { open, rename, truncate } from 'node:fs/promises';
import { XfError } from '../lib/errors.js';
import { readPredictionLines } from './prediction-line.js';

export interface Recovered {
  /** Question ids already answered. */
  ids: Set<string>;
  /** Bytes of a torn last line that were cut off. */
  tornBytes: number;
  /** Error rows (failed samples) taken out of the file, so that those samples are tried again. */
  retried: number;
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

/** Rewrites the predictions without their error rows: written beside the file, synced, renamed over it. */
async function dropErrorRows(file: string): Promise<void> {
  const tmp = `${file}.retry-${process.pid}`;
  const out = await open(tmp, 'w');
  try {
    for await (const row of readPredictionLines(file, { check: 'id' })) if (!row.error) await out.write(`${JSON.stringify(row)}\n`);
    await out.sync();
  } finally {
    await out.close();
  }
  await rename(tmp, file);
}

/**
 * The ids answered so far. Each line is written whole with its newline in one call, so only the very
 * end can be torn (a process killed mid-write): that tail is cut off and its sample is evaluated
 * again. Samples that failed (error rows: a bad image, a prompt too long) are taken out and tried
 * again too: the user was told to fix the input and run the same command. Any other damage, or a
 * duplicate id, is refused.
 */
export async function recoverPredictions(file: string): Promise<Recovered> {
  const ids = new Set<string>();
  if (!existsSync(file)) return { ids, tornBytes: 0, retried: 0 };
  const { size, complete } = await completeLength(file);
  if (complete < size) await truncate(file, complete);
  const seen = new Set<string>();
  let line = 0;
  let failed = 0;
  for await (const row of readPredictionLines(file, { check: 'id' })) {
    line += 1;
    if (seen.has(row.id)) {
      throw new XfError('E_RUN_CORRUPT', `line ${line} repeats question id "${row.id}"`, { file, suggestion: 'Start a new run in another folder.' });
    }
    seen.add(row.id);
    if (row.error) failed += 1;
    else ids.add(row.id);
  }
  if (failed > 0) await dropErrorRows(file);
  return { ids, tornBytes: size - complete, retried: failed };
}
