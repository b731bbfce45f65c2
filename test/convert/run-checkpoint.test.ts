import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { runConverterPython } from '../helpers/converter.js';
import { tempDir } from '../helpers/paths.js';
import { convertedCheckpoint } from '../helpers/shared-results.js';

const work = tempDir('xfbench-run-checkpoint-');
// a cache of its own, so what the tests find there is what they put there
const env = { XFBENCH_CACHE_DIR: path.join(work, 'cache'), XFBENCH_VERIFIED_FILES: path.join(work, 'verified.json') };
const answers = (dir: string) =>
  readFileSync(path.join(dir, 'predictions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { id: string; prediction: string }).prediction);
const cached = () =>
  existsSync(path.join(env.XFBENCH_CACHE_DIR, 'bundles')) ? readdirSync(path.join(env.XFBENCH_CACHE_DIR, 'bundles')) : [];

describe('run --model with a Hugging Face checkpoint folder', () => {
  it('converts it once into the cache, answers as its converted bundle does, and reuses the conversion', async () => {
    const { checkpoint, bundle } = await convertedCheckpoint('opt-holdout');
    const first = runCli(['run', 'gqa', '--model', checkpoint, '--limit', '12', '--device', 'cpu', '--out', path.join(work, 'first')], {
      env,
    });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/xfbench: converting .*checkpoint: /);
    expect(first.stderr).toMatch(/xfbench: converted the checkpoint .*checkpoint into .*cache\/bundles\/[0-9a-f]{24}; later runs reuse it/);
    expect(cached()).toHaveLength(1);

    const direct = runCli(['run', 'gqa', '--model', bundle, '--limit', '12', '--device', 'cpu', '--out', path.join(work, 'direct')]);
    expect(direct.status, direct.stderr).toBe(0);
    expect(answers(path.join(work, 'first'))).toEqual(answers(path.join(work, 'direct')));

    const again = runCli(['run', 'gqa', '--model', checkpoint, '--limit', '12', '--device', 'cpu', '--out', path.join(work, 'again')], {
      env,
    });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/convert/);
    expect(cached()).toHaveLength(1);
    expect(answers(path.join(work, 'again'))).toEqual(answers(path.join(work, 'first')));
  });

  it('leaves nothing in the cache when the conversion fails (weights that do not load): exit 2, one line', async () => {
    const { checkpoint } = await convertedCheckpoint('opt-holdout');
    const broken = path.join(work, 'broken');
    cpSync(checkpoint, broken, { recursive: true });
    const weights = path.join(broken, 'model.safetensors');
    runConverterPython([
      '-c',
      'import sys\nfrom safetensors.torch import load_file, save_file\nw = load_file(sys.argv[1])\nsave_file({k: v for k, v in w.items() if "qformer" not in k}, sys.argv[1], metadata={"format": "pt"})',
      weights,
    ]);
    const before = cached();
    const r = runCli(['run', 'gqa', '--model', broken, '--limit', '4', '--device', 'cpu', '--out', path.join(work, 'broken-run')], {
      env: { ...env },
    });
    expect(r.status).toBe(2);
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.includes('error')),
    ).toHaveLength(1);
    expect(r.stderr).toMatch(
      /E_CHECKPOINT .*model\.safetensors: the checkpoint's weights do not load: \d+ weights the model needs are missing \(qformer\./,
    );
    expect(cached()).toEqual(before);
    expect(existsSync(path.join(work, 'broken-run'))).toBe(false);
  });
});
