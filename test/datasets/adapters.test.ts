import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetRegistry } from '../../src/datasets/registry.js';
import { fillTemplate, resolveInside } from '../../src/datasets/image-paths.js';
import type { XfError } from '../../src/lib/errors.js';
import { metricRegistry } from '../../src/metrics/registry.js';
import { FIXTURES, ROOT, tempDir } from '../helpers/paths.js';

const registry = datasetRegistry();
const adapters = await Promise.all(registry.ids().map((id) => registry.get(id)));
const bundled = adapters.filter((a) => a.defaultDir).map((a) => a.id);

describe('a dataset without a bundled mini set', () => {
  it('is refused without --data, naming the layout it wants', async () => {
    const { datasetDir } = await import('../../src/pipeline/open-dataset.js');
    const err = (() => {
      try {
        datasetDir({ id: 'some-set', layout: 'DIR/questions.json' }, undefined);
        return undefined;
      } catch (e) {
        return e as XfError;
      }
    })();
    expect(err?.code).toBe('E_DATA_DIR');
    expect(err?.suggestion).toBe('Pass --data DIR (DIR/questions.json).');
    expect(datasetDir({ id: 'some-set', layout: '' }, 'x')).toBe(path.resolve('x'));
  });
});

describe('every bundled mini set opens with its adapter', () => {
  it.each(bundled)('%s', async (id) => {
    const adapter = await datasetRegistry().get(id);
    const dir = path.join(ROOT, adapter.defaultDir!);
    const ds = await adapter.open(dir);
    expect(ds.samples.length).toBeGreaterThan(0);
    expect(new Set(ds.samples.map((s) => s.id)).size).toBe(ds.samples.length);
    expect(ds.metrics.length).toBeGreaterThan(0);
    for (const s of ds.samples.slice(0, 20)) expect(s.imagePath.startsWith(dir)).toBe(true);
    expect(adapter.layout.length).toBeGreaterThan(10);
    expect(adapter.source.length).toBeGreaterThan(10);
    // every metric it names is one xfbench has
    for (const m of ds.metrics) expect(metricRegistry().has(m), m).toBe(true);
  });
});

describe('image paths', () => {
  it('fills COCO-style templates', () => {
    expect(fillTemplate('COCO_val2014_{id:012}.jpg', 42)).toBe('COCO_val2014_000000000042.jpg');
    expect(fillTemplate('{id}.png', 'x')).toBe('x.png');
  });
  it('never resolves outside the images folder', () => {
    const root = path.join(FIXTURES, 'gvtbench-mini', 'images');
    expect(resolveInside(root, '../coco_oc.json')).toBeUndefined();
    expect(resolveInside(root, '/etc/passwd')).toBeUndefined();
    expect(resolveInside(root, 'vcr1images/../../coco_oc.json')).toBeUndefined();
  });
  it('refuses a VCR image id that escapes, naming the file and record', async () => {
    const dir = path.join(tempDir(), 'gvt');
    cpSync(path.join(FIXTURES, 'gvtbench-mini'), dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'vcr_oc.json'),
      JSON.stringify([{ image_id: '../../../etc/passwd', text_in: 'q', text_out: '1', n_obj_exist: 1 }]),
    );
    const adapter = await datasetRegistry().get('gvtbench');
    const err = (await adapter.open(dir).catch((e: unknown) => e)) as XfError;
    expect(err.code).toBe('E_IMAGE_OUTSIDE');
    expect(err.field).toBe('[0].image_id');
  });
});

describe('MMVP gold corrections', () => {
  it('corrects the four answers the release has swapped, as lmms-eval does, in the full 300-question file', async () => {
    const { mmvpAdapter } = await import('../../src/datasets/mmvp.js');
    const dir = path.join(tempDir(), 'mmvp');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, 'MMVP Images'), { recursive: true });
    // the release's swapped gold: 99 (a), 100 (b), 279 (a), 280 (b); every other row (a)
    const gold: Record<number, string> = { 99: '(a)', 100: '(b)', 279: '(a)', 280: '(b)' };
    const rows = Array.from({ length: 300 }, (_, i) => `${i + 1},Are the tusks long or short?,(a) Long (b) Short,${gold[i + 1] ?? '(a)'}`);
    writeFileSync(path.join(dir, 'Questions.csv'), `Index,Question,Options,Correct Answer\n${rows.join('\n')}\n`);
    const samples = (await mmvpAdapter.open(dir)).samples;
    const letter = (index: number) => samples.find((s) => s.id === String(index))!.answers[0];
    expect([99, 100, 279, 280].map(letter)).toEqual(['b', 'a', 'b', 'a']);
    expect(letter(98)).toBe('a');
    expect(samples.find((s) => s.id === '99')!.extra['goldCorrectedFrom']).toBe('a');
  });
});
