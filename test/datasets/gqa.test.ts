import { cpSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gqaAdapter, normaliseGqaAnswer, reasoningSteps } from '../../src/datasets/gqa.js';
import type { XfError } from '../../src/lib/errors.js';
import { GQA_MINI, tempDir } from '../helpers/paths.js';

const QUESTIONS = 'testdev_balanced_questions.json';

function copyGqa(edit?: (records: Record<string, any>) => void): string {
  const dir = path.join(tempDir(), 'gqa');
  cpSync(GQA_MINI, dir, { recursive: true });
  if (edit) {
    const file = path.join(dir, QUESTIONS);
    const records = JSON.parse(readFileSync(file, 'utf8'));
    edit(records);
    writeFileSync(file, JSON.stringify(records));
  }
  return dir;
}

describe('GQA adapter', () => {
  it('reads the official layout into samples with categories and image groups', async () => {
    const ds = await gqaAdapter.open(GQA_MINI);
    const raw = JSON.parse(readFileSync(path.join(GQA_MINI, QUESTIONS), 'utf8'));
    expect(ds.samples).toHaveLength(Object.keys(raw).length);
    const s = ds.samples[0]!;
    const r = raw[s.id];
    expect(s.answers).toEqual([r.answer]);
    expect(s.categories).toEqual(r.types);
    expect(s.group).toBe(r.imageId);
    expect(s.imagePath.endsWith(`${r.imageId}.png`)).toBe(true);
    expect(ds.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('normalises answers the way GQA callers do', () => {
    expect(normaliseGqaAnswer(' Yes. ')).toBe('yes');
    expect(normaliseGqaAnswer('Red')).toBe('red');
    expect(normaliseGqaAnswer('to the left')).toBe('to the left');
  });

  it('counts reasoning steps as the official scorer does', () => {
    expect(
      reasoningSteps([
        { operation: 'select', argument: 'circle (o1)', dependencies: [] },
        { operation: 'exist', argument: '?', dependencies: [0] },
        { operation: 'query', argument: 'name', dependencies: [0] },
        { operation: 'choose name', argument: 'a|b', dependencies: [0] },
        { operation: 'filter color', argument: 'red', dependencies: [0] },
      ]),
    ).toBe(2);
  });

  it.each([
    [
      'a record missing a field',
      (r: Record<string, any>) => {
        delete r[Object.keys(r)[0]!].answer;
      },
      'E_SCHEMA',
      /\.answer$/,
    ],
    [
      'a wrong type',
      (r: Record<string, any>) => {
        r[Object.keys(r)[0]!].isBalanced = 'yes';
      },
      'E_SCHEMA',
      /\.isBalanced$/,
    ],
    [
      'an image id escaping the folder',
      (r: Record<string, any>) => {
        r[Object.keys(r)[0]!].imageId = '../../etc/passwd';
      },
      'E_IMAGE_OUTSIDE',
      /\.imageId$/,
    ],
    [
      'an absolute image id',
      (r: Record<string, any>) => {
        r[Object.keys(r)[0]!].imageId = '/etc/passwd';
      },
      'E_IMAGE_OUTSIDE',
      /\.imageId$/,
    ],
  ])('refuses %s, naming the file and field', async (_what, edit, code, field) => {
    const dir = copyGqa(edit);
    const err = (await gqaAdapter.open(dir).catch((e: unknown) => e)) as XfError;
    expect(err.code).toBe(code);
    expect(err.file).toBe(path.join(dir, QUESTIONS));
    expect(err.field).toMatch(field);
  });

  it('refuses an empty questions file and a folder without one', async () => {
    const empty = copyGqa((r) => {
      for (const k of Object.keys(r)) delete r[k];
    });
    expect(((await gqaAdapter.open(empty).catch((e: unknown) => e)) as XfError).code).toBe('E_EMPTY_DATASET');
    const none = copyGqa();
    rmSync(path.join(none, QUESTIONS));
    expect(((await gqaAdapter.open(none).catch((e: unknown) => e)) as XfError).code).toBe('E_DATA_DIR');
  });
});
