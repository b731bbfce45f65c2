import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { GQA_MINI, tempDir } from '../helpers/paths.js';

describe('failed samples on resume', () => {
  it('are tried again once the input is fixed, and the run then equals one that never failed', () => {
    const data = path.join(tempDir(), 'gqa');
    cpSync(GQA_MINI, data, { recursive: true });
    const records = JSON.parse(readFileSync(path.join(data, 'testdev_balanced_questions.json'), 'utf8')) as Record<
      string,
      { imageId: string }
    >;
    const image = path.join(data, 'images', `${Object.values(records)[0]!.imageId}.png`);
    const good = readFileSync(image);
    writeFileSync(image, 'not a png');
    const out = path.join(tempDir(), 'run');
    const args = ['run', 'gqa', '--data', data, '--limit', '40', '--out', out, '--device', 'cpu', '--json'];
    expect(runCli(args).status).toBe(0);
    const failed = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { error?: unknown })
      .filter((l) => l.error).length;
    expect(failed).toBeGreaterThan(0);

    writeFileSync(image, good);
    const again = runCli(args.filter((a) => a !== '--json'));
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(
      new RegExp(`continued a run: ${40 - failed} predictions kept, ${failed} evaluated now \\(${failed} that had failed tried again\\)`),
    );
    const lines = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; error?: unknown });
    expect(lines).toHaveLength(40);
    expect(lines.filter((l) => l.error)).toEqual([]);
    expect(new Set(lines.map((l) => l.id)).size).toBe(40);

    const clean = path.join(tempDir(), 'clean');
    expect(runCli(['run', 'gqa', '--data', data, '--limit', '40', '--out', clean, '--device', 'cpu']).status).toBe(0);
    const metrics = (dir: string) => (JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')) as { metrics: unknown }).metrics;
    expect(metrics(out)).toEqual(metrics(clean));
    expect(
      (JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as { resumed: { retriedFailed: number } }).resumed.retriedFailed,
    ).toBe(failed);
  });
});

describe('a prompt longer than the LM context', () => {
  it('fails its own sample only, with E_PROMPT_TOO_LONG, and the run goes on', async () => {
    const { BUNDLES, editManifest } = await import('../helpers/paths.js');
    const bundle = path.join(tempDir(), 'short-context');
    cpSync(BUNDLES.xformer, bundle, { recursive: true });
    // 65 visual tokens and 8 new tokens leave 12 positions for the prompt: the longer questions do not fit
    editManifest(bundle, (m) => {
      m.lm.maxPositions = 85;
    });
    const out = path.join(tempDir(), 'run');
    const r = runCli(['run', 'gqa', '--model', bundle, '--limit', '60', '--out', out, '--device', 'cpu']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/samples failed \(E_PROMPT_TOO_LONG ×\d+\)/);
    const lines = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { error?: { code: string } });
    expect(lines).toHaveLength(60);
    const tooLong = lines.filter((l) => l.error?.code === 'E_PROMPT_TOO_LONG').length;
    expect(tooLong).toBeGreaterThan(0);
    expect(tooLong).toBeLessThan(60);
  });
});
