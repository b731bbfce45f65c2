import { cpSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetRegistry } from '../../src/datasets/registry.js';
import { runCli } from '../helpers/cli.js';
import { ROOT, tempDir } from '../helpers/paths.js';

/** Removes every image file and every emptied folder below `dir`: a release downloaded without its images. */
function stripImages(dir: string): void {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) {
      stripImages(p);
      if (readdirSync(p).length === 0) rmSync(p, { recursive: true });
    } else if (/\.(jpe?g|png|webp|gif|bmp|tiff?)$/i.test(name)) rmSync(p);
  }
}

const registry = datasetRegistry();
const adapters = (await Promise.all(registry.ids().map((id) => registry.get(id)))).filter((a) => a.defaultDir);

describe('score needs no images', () => {
  it.each(adapters.map((a) => a.id))('%s scores from a folder of annotations only', async (id) => {
    const adapter = await registry.get(id);
    const source = path.join(ROOT, adapter.defaultDir!);
    const ids = (await adapter.open(source)).samples.map((s) => s.id);
    const data = path.join(tempDir(), id);
    cpSync(source, data, { recursive: true });
    stripImages(data);
    const predictions = path.join(tempDir(), 'p.jsonl');
    writeFileSync(predictions, ids.map((i) => JSON.stringify({ id: i, prediction: 'yes' })).join('\n'));
    const r = runCli(['score', id, '--data', data, '--predictions', predictions, '--out', path.join(tempDir(), 'run'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { scored: number }).scored).toBe(ids.length);
    // while run, which reads the images, still says they are missing
    const run = runCli(['run', id, '--data', data, '--limit', '1', '--out', path.join(tempDir(), 'r'), '--device', 'cpu']);
    expect(run.status === 2 || /samples failed/.test(run.stderr)).toBe(true);
  });
});
