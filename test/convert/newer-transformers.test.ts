import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { runConverterPython } from '../helpers/converter.js';
import { tempDir } from '../helpers/paths.js';
import { convertedCheckpoint } from '../helpers/shared-results.js';

const dir = tempDir('xfbench-convert-newer-');
const QUESTIONS = '12';

interface TokenizerFile {
  model: { merges: Array<string | [string, string]> };
  added_tokens: Array<{ id: number; content: string }>;
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/**
 * The checkpoint as transformers 5 saves it (converter/xfconvert/testing/transformers5_save.py: pair
 * merges, TokenizersBackend, the "<image>" token and image_token_index, processor_config.json instead of
 * preprocessor_config.json, and with `maeLayout` 'new' an MAE under 5.x's module names).
 */
function resavedAsTransformers5(checkpoint: string, name: string, maeLayout: 'original' | 'new' = 'original'): string {
  const out = path.join(dir, name);
  runConverterPython(['-m', 'xfconvert.testing.transformers5_save', checkpoint, out, '--mae-layout', maeLayout]);
  return out;
}

/** The raw answers of `run gqa` on the first questions, with the bundle's beams or greedy. */
function answers(bundle: string, out: string, beams: number): string[] {
  const runDir = path.join(dir, out);
  const r = runCli([
    'run',
    'gqa',
    '--limit',
    QUESTIONS,
    '--num-beams',
    String(beams),
    '--model',
    bundle,
    '--out',
    runDir,
    '--device',
    'cpu',
    '--json',
  ]);
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(path.join(runDir, 'predictions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { raw?: string; prediction: string })
    .map((l) => l.raw ?? l.prediction);
}

function convert(checkpoint: string, name: string): string {
  const out = path.join(dir, name);
  const r = runCli(['convert', checkpoint, '--out', out, '--json']);
  expect(r.status, r.stderr).toBe(0);
  return out;
}

function expectSameAnswers(resaved: string, original: string, name: string): void {
  for (const beams of [1, 5]) {
    expect(answers(resaved, `${name}-${beams}`, beams), `${beams} beams`).toEqual(answers(original, `${name}-original-${beams}`, beams));
  }
}

describe('checkpoints saved by transformers 5 convert, and answer as the same weights saved the old way', () => {
  it('the hold-out BLIP-2: tokenizer, image token and processor_config.json as 5.x writes them', async () => {
    // the original's bundle answers as transformers' generate, greedy and with 5 beams (blip2-parity)
    const { checkpoint, bundle } = await convertedCheckpoint('opt-holdout');
    const resaved = resavedAsTransformers5(checkpoint, 'holdout-5x');
    expect(existsSync(path.join(resaved, 'preprocessor_config.json'))).toBe(false);
    const config = readJson<{ image_token_index: number; dtype: string }>(path.join(resaved, 'config.json'));
    const tokenizer = readJson<TokenizerFile>(path.join(resaved, 'tokenizer.json'));
    expect(tokenizer.model.merges[0]).toBeInstanceOf(Array);
    expect(tokenizer.added_tokens.find((t) => t.content === '<image>')?.id).toBe(config.image_token_index);
    const converted = convert(resaved, 'holdout-5x-bundle');
    // the bundle's tokenizer is in the form every tokenizers version reads, with the same merges
    const bundled = readJson<TokenizerFile>(path.join(converted, 'tokenizer.json'));
    expect(bundled.model.merges).toEqual(readJson<TokenizerFile>(path.join(bundle, 'tokenizer.json')).model.merges);
    const manifest = readJson<{ encoders: Array<{ image: { size: number[]; resize: string } }> }>(path.join(converted, 'xfbench.json'));
    expect(manifest.encoders[0]!.image).toMatchObject({ size: [196, 196], resize: 'bicubic' });
    expectSameAnswers(converted, bundle, 'holdout');
  }, 600_000);

  it('an X-Former whose MAE was saved under 5.x module names (save_original_format=False)', async () => {
    const { checkpoint, bundle } = await convertedCheckpoint('xformer');
    const resaved = resavedAsTransformers5(checkpoint, 'xformer-5x', 'new');
    expectSameAnswers(convert(resaved, 'xformer-5x-bundle'), bundle, 'xformer');
  }, 600_000);

  it('refuses in one line what 5.x files say inconsistently, and pair merges the older format cannot hold', async () => {
    const { checkpoint } = await convertedCheckpoint('opt-holdout');
    const resaved = resavedAsTransformers5(checkpoint, 'holdout-5x-broken');
    const edit = (file: string, change: (json: Record<string, unknown>) => void): (() => void) => {
      const before = readFileSync(path.join(resaved, file), 'utf8');
      const json = JSON.parse(before) as Record<string, unknown>;
      change(json);
      writeFileSync(path.join(resaved, file), JSON.stringify(json));
      return () => writeFileSync(path.join(resaved, file), before);
    };
    const cases: Array<[string, (json: Record<string, unknown>) => void, RegExp]> = [
      ['config.json', (c) => (c.image_token_index = 3), /config\.json: image_token_index 3 is not the tokenizer's "<image>" \(id 380\)/],
      ['config.json', (c) => (c.image_token_index = 999), /config\.json: image_token_index 999 is not a row of the LM's embeddings/],
      ['processor_config.json', (p) => (p.num_query_tokens = 32), /processor_config\.json: num_query_tokens 32 is not config\.json's 24/],
      ['processor_config.json', (p) => delete p.image_processor, /processor_config\.json: has no "image_processor" settings/],
      [
        'tokenizer.json',
        (t) => ((t as unknown as TokenizerFile).model.merges[0] = ['a b', 'c']),
        /tokenizer\.json: a merge holds a space \(\["a b", "c"\]\)/,
      ],
    ];
    for (const [i, [file, change, message]] of cases.entries()) {
      const restore = edit(file, change);
      const out = path.join(dir, `broken-${i}`);
      const r = runCli(['convert', resaved, '--out', out]);
      restore();
      expect(r.status, file).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
  }, 600_000);
});
