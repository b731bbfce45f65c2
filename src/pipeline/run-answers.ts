import path from 'node:path';
import type { AnswerFile } from '../datasets/types.js';
import { XfError } from '../lib/errors.js';
import { sha256File } from '../lib/files.js';
import { readRun } from '../runs/read-run.js';
import { PREDICTIONS_FILE } from '../runs/run-dir.js';

/**
 * The answers of an xfbench run as it gave them (the raw text where the line keeps it), to score them
 * again, with another normalisation or none.
 */
export async function readRunAnswers(dir: string): Promise<AnswerFile & { dataset: { id: string; dir: string } }> {
  const run = await readRun(dir);
  const byId = new Map<string, string>();
  for (const line of run.rows) if (!line.error) byId.set(line.id, line.raw ?? line.prediction);
  const file = path.join(dir, PREDICTIONS_FILE);
  if (byId.size === 0) throw new XfError('E_EMPTY_PREDICTIONS', 'the run holds no answered question', { file });
  return {
    format: 'xfbench-run',
    sha256: await sha256File(file),
    byId,
    dataset: { id: run.record.dataset.id, dir: run.record.dataset.dir },
  };
}
