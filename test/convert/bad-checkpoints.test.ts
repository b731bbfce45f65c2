import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

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

  it('never writes into a folder that holds something', () => {
    const out = folder('taken', { 'keep.txt': 'mine' });
    const r = runCli(['convert', folder('any', { 'config.json': blip2Config }), '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/E_OUT_EXISTS/);
    expect(existsSync(path.join(out, 'keep.txt'))).toBe(true);
  });
});
