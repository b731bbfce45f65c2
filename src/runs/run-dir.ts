import { mkdir, open, readdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { XfError } from '../lib/errors.js';

export const RUN_FILE = 'run.json';
export const PREDICTIONS_FILE = 'predictions.jsonl';

export function defaultRunDir(root: string, dataset: string, name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return path.join(root, 'runs', `${stamp}-${dataset}-${name}`);
}

/**
 * The one place run folders are made: `--out`, or runs/<time>-<dataset>-<name> under the working
 * folder, created and checked writable. `existing: 'refuse'` turns away a folder that already holds a
 * run, so nothing written is ever overwritten; `'continue'` leaves that judgement to the caller
 * (`run` resumes a matching run).
 */
export async function openRunDir(out: string | undefined, dataset: string, name: string, existing: 'refuse' | 'continue'): Promise<string> {
  const dir = path.resolve(out ?? defaultRunDir(process.cwd(), dataset, name));
  let entries: string[];
  try {
    await mkdir(dir, { recursive: true });
    entries = await readdir(dir);
  } catch (err) {
    throw new XfError('E_OUT_DIR', `cannot create the run folder (${(err as NodeJS.ErrnoException).code})`, { file: dir });
  }
  if (existing === 'refuse' && (entries.includes(RUN_FILE) || entries.includes(PREDICTIONS_FILE))) {
    throw new XfError('E_RUN_EXISTS', 'the folder already holds a run', { file: dir, suggestion: 'Choose another --out, or remove the old run first.' });
  }
  const probe = path.join(dir, '.xfbench-write-test');
  try {
    await (await open(probe, 'w')).close();
    await rm(probe);
  } catch (err) {
    throw new XfError('E_OUT_DIR', `the run folder is not writable (${(err as NodeJS.ErrnoException).code})`, { file: dir });
  }
  return dir;
}

/** Removes the predictions of a run that failed on bad input, and its folder when that leaves it empty. */
export async function removeUnfinishedRun(dir: string): Promise<void> {
  await rm(path.join(dir, PREDICTIONS_FILE), { force: true });
  await rmdir(dir).catch(() => undefined); // not empty: it held other files of the user's; leave them
}
