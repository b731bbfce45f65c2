import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { runConverterPython } from '../helpers/converter.js';
import { tempDir } from '../helpers/paths.js';
import { convertedCheckpoint } from '../helpers/shared-results.js';

const dir = tempDir('xfbench-convert-bad-');

function folder(name: string, files: Record<string, unknown>): string {
  const p = path.join(dir, name);
  mkdirSync(p, { recursive: true });
  for (const [f, content] of Object.entries(files))
    writeFileSync(path.join(p, f), typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

const blip2Config = { architectures: ['Blip2ForConditionalGeneration'], text_config: { model_type: 'opt' } };

/** What a user gets for a checkpoint convert cannot take: one line naming the file, exit 2, nothing written. */
describe('xfbench convert refuses bad input in one line', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['a folder that does not exist', () => [path.join(dir, 'nowhere')], /E_CHECKPOINT .*nowhere: checkpoint folder not found/],
    ['a folder without config.json', () => [folder('empty', {})], /E_CHECKPOINT .*config\.json: not found/],
    [
      'a config.json that is not JSON',
      () => [folder('broken', { 'config.json': '{"architectures": [' })],
      /E_CHECKPOINT .*config\.json: not valid JSON/,
    ],
    [
      'an architecture it does not convert',
      () => [folder('llava', { 'config.json': { architectures: ['LlavaForConditionalGeneration'] } })],
      /E_CHECKPOINT .*config\.json: architectures \["LlavaForConditionalGeneration"\] is none of/,
    ],
    [
      'an LM it does not convert',
      () => [folder('llama', { 'config.json': { ...blip2Config, text_config: { model_type: 'llama' } } })],
      /E_CHECKPOINT .*text_config\.model_type "llama" is not supported/,
    ],
    [
      'a checkpoint without tokenizer.json',
      () => [folder('notok', { 'config.json': blip2Config })],
      /E_CHECKPOINT .*tokenizer\.json: not found/,
    ],
    [
      'a generation_config.json asking for what xfbench does not do (it was never read, and answers differed silently)',
      () => [
        folder('genconf', {
          'config.json': blip2Config,
          'tokenizer.json': '{}',
          'generation_config.json': { repetition_penalty: 1.3, no_repeat_ngram_size: 3, num_beams: 5, bos_token_id: 2 },
        }),
      ],
      /E_CHECKPOINT .*generation_config\.json: sets repetition_penalty 1\.3, no_repeat_ngram_size 3, which xfbench does not implement/,
    ],
    [
      'a Python without transformers',
      () => [folder('py', { 'config.json': blip2Config }), '--python', '/usr/bin/python3'],
      /E_CONVERTER_ENV: the converter's Python \/usr\/bin\/python3 \(from --python\) has no module "transformers"/,
    ],
    [
      'a Python that does not exist',
      () => [folder('py2', { 'config.json': blip2Config }), '--python', path.join(dir, 'no-python')],
      /E_CONVERTER_ENV: .*cannot be started/,
    ],
  ];
  it.each(cases)('%s', (_, args, message) => {
    const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}`);
    const r = runCli(['convert', ...args(), '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it("a transformers 5 found through the user's PYTHONPATH: kept on the path, and refused in one line", () => {
    // a stand-in package with 5.x's metadata, first on the user's PYTHONPATH as a real 5.x install would be
    const site = path.join(dir, 'site-tf5');
    mkdirSync(path.join(site, 'transformers'), { recursive: true });
    mkdirSync(path.join(site, 'transformers-5.17.0.dist-info'), { recursive: true });
    writeFileSync(path.join(site, 'transformers', '__init__.py'), '__version__ = "5.17.0"\n');
    writeFileSync(
      path.join(site, 'transformers-5.17.0.dist-info', 'METADATA'),
      'Metadata-Version: 2.1\nName: transformers\nVersion: 5.17.0\n',
    );
    const out = path.join(dir, 'out-tf5');
    const r = runCli(['convert', folder('tf5', { 'config.json': blip2Config }), '--out', out], { env: { PYTHONPATH: site } });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/E_CONVERTER_ENV: the converter's Python .* has transformers 5\.17\.0; the converter runs on transformers 4/);
    expect(existsSync(out)).toBe(false);
  });

  it('never writes into a folder that holds something', () => {
    const out = folder('taken', { 'keep.txt': 'mine' });
    const r = runCli(['convert', folder('any', { 'config.json': blip2Config }), '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/E_OUT_EXISTS/);
    expect(existsSync(path.join(out, 'keep.txt'))).toBe(true);
  });
});

/**
 * A checkpoint whose weights do not all load: transformers would fill the gaps at random and warn;
 * convert refuses it in one line naming the weights file, how many and which, and writes nothing.
 */
describe('xfbench convert refuses weights that do not load', () => {
  /** A copy of the shared hold-out OPT checkpoint with its model.safetensors rewritten by `edit` (Python, over the tensors' names). */
  async function edited(name: string, edit: string): Promise<string> {
    const { checkpoint } = await convertedCheckpoint('opt-holdout');
    const copy = path.join(dir, name);
    cpSync(checkpoint, copy, { recursive: true });
    const file = path.join(copy, 'model.safetensors');
    runConverterPython([
      '-c',
      `import sys\nfrom safetensors.torch import load_file, save_file\nw = load_file(sys.argv[1])\n${edit}\nsave_file(w, sys.argv[1], metadata={"format": "pt"})`,
      file,
    ]);
    return copy;
  }

  it.each([
    [
      "the LM's decoder layers removed",
      'w = {k: v for k, v in w.items() if ".decoder.layers." not in k}',
      /E_CHECKPOINT .*model\.safetensors: the checkpoint's weights do not load: \d+ weights the model needs are missing \(language_model\.model\.decoder\.layers\.0\./,
    ],
    [
      'the LM saved under another prefix',
      'w = {k.replace("language_model.", "lm.", 1): v for k, v in w.items()}',
      /weights the model needs are missing \(language_model\..*; \d+ weights belong to no part of the model \(lm\./,
    ],
    [
      'a weight of another shape',
      'k = next(k for k in w if k.endswith("q_proj.weight")); w[k] = w[k][:, :-1].contiguous()',
      /weights have another shape than the model's/,
    ],
  ])('%s: exit 2, one line, no bundle', async (name, edit, message) => {
    const checkpoint = await edited(name.replace(/\W+/g, '-'), edit);
    const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}`);
    const r = runCli(['convert', checkpoint, '--out', out]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith(`${path.basename(out)}.partial`))).toEqual([]);
  });

  it("shows the converter's own output with XFBENCH_CONVERT_DEBUG when the conversion fails", async () => {
    const checkpoint = await edited('debug', 'w = {k: v for k, v in w.items() if ".decoder.layers.1." not in k}');
    const r = runCli(['convert', checkpoint, '--out', path.join(dir, 'debug-out')], { env: { XFBENCH_CONVERT_DEBUG: '1' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/were not initialized from the model checkpoint/);
    expect(r.stderr).toMatch(/E_CHECKPOINT .*decoder\.layers\.1\./);
  });
});

/** An X-Former config.json whose dual cross-attention placement (docs/xformer-checkpoint.md) cannot be what the weights are. */
describe('xfbench convert refuses an X-Former placement it cannot build', () => {
  it.each([
    [{ dualAfter: 'ffn' }, /config\.json: xformer\.dualAfter "ffn" is none of cross-attention, layer/],
    [{ dualLayers: [1] }, /xformer\.dualLayers \[1\] names a layer without a cross-attention to the image \(those with one: \[0, 2\]\)/],
    [{ dualAfter: 'layer', dualLayers: [0, 3] }, /xformer\.dualLayers \[0, 3\] is not a list of distinct Q-Former layers \(0 to 2\)/],
    [{ maeLayer: 3 }, /xformer\.maeLayer 3 is neither "last" nor an MAE layer \(1 to 2\)/],
    // the checkpoint's weights are pre-norm ones: ln_mq has no place in a post-norm dual cross-attention
    [
      { dualNorm: 'post' },
      /fusion\.safetensors: weights do not match a post-norm dual cross-attention after Q-Former layers \[0, 2\]: .*unexpected \['dual\.0\.ln_mq/,
    ],
  ])('%j', async (placement, message) => {
    const { checkpoint } = await convertedCheckpoint('xformer');
    const copy = path.join(dir, `xformer-${Math.random().toString(36).slice(2)}`);
    cpSync(checkpoint, copy, { recursive: true });
    const config = JSON.parse(readFileSync(path.join(copy, 'config.json'), 'utf8')) as { xformer: Record<string, unknown> };
    writeFileSync(path.join(copy, 'config.json'), JSON.stringify({ ...config, xformer: { ...config.xformer, ...placement } }));
    const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}`);
    const r = runCli(['convert', copy, '--out', out]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });
});
