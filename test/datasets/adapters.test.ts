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
const unbundled = adapters.filter((a) => !a.defaultDir).map((a) => a.id);

describe('every dataset without a bundled mini set', () => {
  it.each(unbundled)('%s is refused without --data, naming the layout it wants', async (id) => {
    const { openEvaluation } = await import('../../src/pipeline/open-dataset.js');
    const err = (await openEvaluation(id, {}).catch((e: unknown) => e)) as XfError;
    expect(err.code).toBe('E_DATA_DIR');
    expect(err.suggestion).toContain('--data');
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
    writeFileSync(path.join(dir, 'vcr_oc.json'), JSON.stringify([{ image_id: '../../../etc/passwd', text_in: 'q', text_out: '1', n_obj_exist: 1 }]));
    const adapter = await datasetRegistry().get('gvtbench');
    const err = (await adapter.open(dir).catch((e: unknown) => e)) as XfError;
    expect(err.code).toBe('E_IMAGE_OUTSIDE');
    expect(err.field).toBe('[0].image_id');
  });
});
