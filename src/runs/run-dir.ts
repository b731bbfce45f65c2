import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { XfError } from '../lib/errors.js';
import type { ScoredSample } from '../metrics/types.js';

export const RUN_FILE = 'run.json';
export const PREDICTIONS_FILE = 'predictions.jsonl';

/** A line of predictions.jsonl. */
export interface PredictionLine extends ScoredSample {
  imageId: string;
  question: string;
  /** Set when the sample could not be evaluated (e.g. an undecodable image); it is scored as unanswered. */
  error?: { code: string; message: string };
}

export function defaultRunDir(root: string, dataset: string, bundle: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return path.join(root, 'runs', `${stamp}-${dataset}-${bundle}`);
}

/** Creates the run folder; refuses one that already holds a run, so nothing written is ever overwritten. */
/** Removes the predictions of a run that failed on bad input, and its folder when that leaves it empty. */
export async function removeUnfinishedRun(dir: string): Promise<void> {
  const { rm, rmdir } = await import('node:fs/promises');
  await rm(path.join(dir, PREDICTIONS_FILE), { force: true });
  await rmdir(dir).catch(() => undefined); // not empty: it held other files of the user's; leave them
}

export async function createRunDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new XfError('E_OUT_DIR', `cannot create the run folder (${(err as NodeJS.ErrnoException).code})`, { file: dir });
  }
  const existing = await readdir(dir);
  if (existing.includes(RUN_FILE) || existing.includes(PREDICTIONS_FILE)) {
    throw new XfError('E_RUN_EXISTS', 'the folder already holds a run', { file: dir, suggestion: 'Choose another --out, or remove the old run first.' });
  }
  const probe = path.join(dir, '.xfbench-write-test');
  try {
    const fh = await open(probe, 'w');
    await fh.close();
    const { rm } = await import('node:fs/promises');
    await rm(probe);
  } catch (err) {
    throw new XfError('E_OUT_DIR', `the run folder is not writable (${(err as NodeJS.ErrnoException).code})`, { file: dir });
  }
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

/** Writes a file atomically: temp file, fsync, rename. A reader sees the old file or the new one. */
export async function writeFileAtomic(file: string, text: string | Buffer): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}
