import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { BUNDLES, tempDir } from '../helpers/paths.js';

/**
 * `--device webgpu` through onnxruntime-node's WebGPU provider (Dawn over Vulkan). These machines
 * have no GPU, so the Vulkan device is SwiftShader, the CPU implementation of Vulkan that Debian's
 * chromium ships (installed for the HTML report's browser test): the real provider, the real
 * device-memory tensors and the real shader compiler, slowly. On a GPU machine the same path runs
 * on the GPU's Vulkan driver (scripts/device-check.sh).
 */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const onSwiftShader = { VK_ICD_FILENAMES: SWIFTSHADER_ICD };

const work = tempDir('xfbench-webgpu-');
interface Line {
  id: string;
  prediction: string;
  raw?: string;
}
const predictions = (dir: string) =>
  readFileSync(path.join(dir, 'predictions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line)
    .map((l) => ({ id: l.id, prediction: l.prediction, raw: l.raw }));
const runRecord = (dir: string) =>
  JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')) as {
    provider: { requested: string; used: string };
    timings: Record<string, number>;
  };

function run(name: string, device: string, extra: string[]): string {
  const out = path.join(work, name);
  const r = runCli(['run', 'gqa', '--device', device, '--out', out, '--json', ...extra], { env: onSwiftShader });
  expect(r.status, r.stderr).toBe(0);
  return out;
}

describe('run --device webgpu', () => {
  it("has a Vulkan device to run on (Debian chromium's SwiftShader; scripts/install-debian-deps.sh installs it)", () => {
    expect(existsSync(SWIFTSHADER_ICD)).toBe(true);
  });

  it.each([
    ['greedy, X-Former', BUNDLES.xformer, ['--limit', '24']],
    ['3 beams (cache rows reordered on the device), X-Former', BUNDLES.xformer, ['--limit', '8', '--num-beams', '3']],
    ['greedy, CLIP-only', BUNDLES.clip, ['--limit', '12']],
  ])('%s: the same answers as the CPU, with the cache kept in device memory', (name, bundle, extra) => {
    const slug = name.replace(/\W+/g, '-');
    const gpu = run(`${slug}-webgpu`, 'webgpu', ['--model', bundle, ...extra]);
    const cpu = run(`${slug}-cpu`, 'cpu', ['--model', bundle, ...extra]);
    expect(predictions(gpu)).toEqual(predictions(cpu));
    expect(runRecord(gpu).provider).toEqual({ requested: 'webgpu', used: 'webgpu' });
    // the image prefixes' keys and values came back from device memory through the gather graph;
    // on the CPU the cache never leaves the host, so there is nothing of the kind
    expect(runRecord(gpu).timings.cacheRowsMs).toBeGreaterThan(0);
    expect(runRecord(cpu).timings.cacheRowsMs).toBeUndefined();
  });

  it('an ablated run reads the features on the host and agrees with the CPU', () => {
    const extra = ['--limit', '8', '--ablate', 'mae=zero', '--no-vision-cache'];
    expect(predictions(run('ablated-webgpu', 'webgpu', extra))).toEqual(predictions(run('ablated-cpu', 'cpu', extra)));
  });

  it('without a Vulkan device: one line, exit 2, E_WEBGPU_UNAVAILABLE, no run folder (never a silent CPU run)', () => {
    const out = path.join(work, 'no-device');
    const r = runCli(['run', 'gqa', '--device', 'webgpu', '--limit', '4', '--out', out], {
      env: { VK_ICD_FILENAMES: path.join(work, 'no-such-icd.json') },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/E_WEBGPU_UNAVAILABLE/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(path.join(out, 'predictions.jsonl'))).toBe(false);
  });

  it('doctor says whether WebGPU is usable, having tried it', () => {
    const usable = runCli(['doctor', '--json'], { env: onSwiftShader });
    const missing = runCli(['doctor', '--json'], { env: { VK_ICD_FILENAMES: path.join(work, 'no-such-icd.json') } });
    const webgpu = (r: typeof usable) =>
      (JSON.parse(r.stdout) as { providers: { name: string; usable: boolean; reason?: string }[] }).providers.find(
        (p) => p.name === 'webgpu',
      );
    expect(webgpu(usable)).toMatchObject({ usable: true });
    expect(webgpu(missing)).toMatchObject({ usable: false, reason: expect.stringMatching(/adapter/i) });
  });
});
