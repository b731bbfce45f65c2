import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { convertedCheckpoint } from '../helpers/shared-results.js';

const dir = tempDir('xfbench-convert-newer-');

interface TokenizerFile {
  model: { merges: Array<string | [string, string]> };
}

/** The checkpoint as transformers ≥ 4.45 (tokenizers ≥ 0.20: merges as pairs) and 5 (TokenizersBackend) save it. */
function resavedAsNewer(checkpoint: string, name: string): string {
  const out = path.join(dir, name);
  cpSync(checkpoint, out, { recursive: true });
  const tokPath = path.join(out, 'tokenizer.json');
  const tok = JSON.parse(readFileSync(tokPath, 'utf8')) as TokenizerFile;
  tok.model.merges = tok.model.merges.map((m) => (typeof m === 'string' ? (m.split(' ') as [string, string]) : m));
  writeFileSync(tokPath, JSON.stringify(tok));
  const cfgPath = path.join(out, 'tokenizer_config.json');
  if (existsSync(cfgPath)) {
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(cfgPath, JSON.stringify({ ...cfg, tokenizer_class: 'TokenizersBackend' }));
  }
  return out;
}

function answers(bundle: string, out: string): string[] {
  const r = runCli(['run', 'gqa', '--limit', '6', '--model', bundle, '--out', path.join(dir, out), '--device', 'cpu', '--json']);
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(path.join(dir, out, 'predictions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { raw?: string; prediction: string }).raw ?? (JSON.parse(l) as { prediction: string }).prediction);
}

describe('checkpoints saved by a newer transformers convert, and answer as the same weights saved the old way', () => {
  it('reads pair merges (tokenizers ≥ 0.20) and the TokenizersBackend class (transformers 5)', async () => {
    const { checkpoint, bundle } = await convertedCheckpoint('opt');
    const newer = resavedAsNewer(checkpoint, 'newer-opt');
    expect((JSON.parse(readFileSync(path.join(newer, 'tokenizer.json'), 'utf8')) as TokenizerFile).model.merges[0]).toBeInstanceOf(Array);
    const out = path.join(dir, 'newer-bundle');
    const r = runCli(['convert', newer, '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    // the bundle's tokenizer says the same as the original's, in the form every tokenizers version reads
    const bundled = JSON.parse(readFileSync(path.join(out, 'tokenizer.json'), 'utf8')) as TokenizerFile;
    const original = JSON.parse(readFileSync(path.join(bundle, 'tokenizer.json'), 'utf8')) as TokenizerFile;
    expect(bundled.model.merges).toEqual(original.model.merges);
    expect(answers(out, 'run-newer')).toEqual(answers(bundle, 'run-original'));
  }, 600_000);

  it('refuses, in one line, pair merges the older format cannot hold (a space inside a token)', async () => {
    const { checkpoint } = await convertedCheckpoint('opt');
    const spaced = resavedAsNewer(checkpoint, 'spaced-opt');
    const tokPath = path.join(spaced, 'tokenizer.json');
    const tok = JSON.parse(readFileSync(tokPath, 'utf8')) as TokenizerFile;
    tok.model.merges[0] = ['a b', 'c'];
    writeFileSync(tokPath, JSON.stringify(tok));
    const r = runCli(['convert', spaced, '--out', path.join(dir, 'spaced-bundle')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/E_CHECKPOINT .*tokenizer\.json: a merge holds a space \(\["a b", "c"\]\)/);
    expect(existsSync(path.join(dir, 'spaced-bundle'))).toBe(false);
  }, 600_000);
});
