import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { datasetRegistry } from '../../src/datasets/registry.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { convertedCheckpoint } from '../helpers/shared-results.js';

const registry = datasetRegistry();
const bundled = (await Promise.all(registry.ids().map((id) => registry.get(id)))).filter((a) => a.defaultDir).map((a) => a.id);

/**
 * Converted bundles at BLIP-2's shapes (224 px, 197 patch tokens, 32 queries, 5 beams; OPT and T5) on
 * every dataset with a mini set, through the CLI, on --device cpu; and --device cuda refused clearly
 * where the CUDA provider cannot load (never a silent CPU run).
 */
describe.each(['opt', 't5'])('a converted BLIP-2 %s bundle', (kind) => {
  const dir = tempDir(`xfbench-converted-${kind}-`);
  let bundle: string;
  beforeAll(async () => {
    // made once for every file that converts this kind (blip2-parity checks its answers)
    const converted = await convertedCheckpoint(kind);
    expect(converted.convert.status, converted.convert.stderr).toBe(0);
    bundle = converted.bundle;
  }, 900_000);

  it.each(bundled)('runs %s on --device cpu', (dataset) => {
    const r = runCli(['run', dataset, '--model', bundle, '--out', path.join(dir, dataset), '--device', 'cpu', '--limit', '24', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { status: string; questions: number };
    expect(summary.status).toBe('complete');
    expect(summary.questions).toBe(24);
  });

  it('refuses --device cuda with the clear error when the CUDA provider cannot load', () => {
    const r = runCli(['run', 'gqa', '--model', bundle, '--out', path.join(dir, 'cuda'), '--device', 'cuda', '--limit', '4']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/E_CUDA_UNAVAILABLE/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
