import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { XfError } from '../../src/lib/errors.js';
import { executeRun } from '../../src/pipeline/execute-run.js';
import { GQA_MINI, tempDir } from '../helpers/paths.js';

describe('run reads the dataset in several passes', () => {
  it('refuses to report figures when the questions file changed between them', async () => {
    const dir = tempDir();
    cpSync(path.join(GQA_MINI, 'images'), path.join(dir, 'images'), { recursive: true });
    const file = path.join(dir, 'testdev_balanced_questions.json');
    const all = JSON.parse(readFileSync(path.join(GQA_MINI, 'testdev_balanced_questions.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify(Object.fromEntries(Object.entries(all).slice(0, 40))));
    let edited = false;
    const err = await executeRun({
      dataset: 'gqa', data: dir, out: path.join(dir, 'run'), device: 'cpu', threads: 1,
      onProgress: () => {
        if (!edited) appendFileSync(file, '\n'); // still valid JSON, other bytes
        edited = true;
      },
    }).catch((e: unknown) => e as XfError);
    expect(edited).toBe(true);
    expect((err as XfError).code).toBe('E_DATA_CHANGED');
    // what was evaluated stays
    expect(readFileSync(path.join(dir, 'run', 'predictions.jsonl'), 'utf8').trim().split('\n')).toHaveLength(40);
  });
});
