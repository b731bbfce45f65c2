import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { BUNDLES, tempDir } from '../helpers/paths.js';

const work = tempDir('xfbench-ablate-');
const lines = (dir: string) =>
  readFileSync(path.join(dir, 'predictions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string; imageId: string; prediction: string });
const run = (name: string, extra: string[], limit = '300') => {
  const out = path.join(work, name);
  const r = runCli(['run', 'gqa', '--limit', limit, '--out', out, '--device', 'cpu', '--json', ...extra]);
  expect(r.status, r.stderr).toBe(0);
  return out;
};

describe('run --ablate', () => {
  it('with nothing to swap (a run of one image, shuffle) reproduces the intact run exactly', () => {
    const intact = run('one-intact', [], '4');
    expect(new Set(lines(intact).map((l) => l.imageId)).size).toBe(1);
    const shuffled = run('one-shuffled', ['--ablate', 'mae=shuffle'], '4');
    expect(lines(shuffled)).toEqual(lines(intact));
  });

  it('changes answers on the X-Former bundle, is recorded and fingerprinted, and keeps its own vision-cache entries', () => {
    const cache = path.join(work, 'cache');
    const intact = run('intact', ['--cache-dir', cache]);
    for (const mode of ['zero', 'shuffle', 'mean', 'noise']) {
      const ablated = run(`ablated-${mode}`, ['--ablate', `mae=${mode}`, '--cache-dir', cache]);
      const a = lines(intact);
      const b = lines(ablated);
      expect(b.filter((l, i) => l.prediction !== a[i]!.prediction).length, mode).toBeGreaterThan(0);
      const record = JSON.parse(readFileSync(path.join(ablated, 'run.json'), 'utf8')) as { config: { ablate: unknown } };
      expect(record.config.ablate).toEqual([{ encoder: 'mae', mode }]);
      // the same ablation without the (shared) cache gives the same answers: no intact entry was reused
      expect(lines(run(`ablated-${mode}-nocache`, ['--ablate', `mae=${mode}`, '--no-vision-cache']))).toEqual(b);
    }
    // compare names the ablation, and pairs the two runs as usual
    const c = runCli(['compare', intact, path.join(work, 'ablated-shuffle')]);
    expect(c.status).toBe(0);
    expect(c.stdout).toMatch(/A = xf-tiny-xformer, B = xf-tiny-xformer \[mae=shuffle\]/);
    // an intact run folder does not continue as an ablated one
    const resumed = runCli([
      'run',
      'gqa',
      '--limit',
      '300',
      '--out',
      intact,
      '--device',
      'cpu',
      '--ablate',
      'mae=zero',
      '--cache-dir',
      cache,
    ]);
    expect(resumed.status).toBe(2);
    expect(resumed.stderr).toMatch(/E_RESUME_MISMATCH .*fingerprint\.settings/);
  });

  it.each([
    [
      'an encoder the bundle lacks',
      ['--model', BUNDLES.clip, '--ablate', 'mae=zero'],
      /E_FLAGS .*xfbench\.json: the bundle has no encoder "mae" to ablate \(it has: clip\)/,
    ],
    [
      'every encoder',
      ['--ablate', 'clip=zero', '--ablate', 'mae=mean'],
      /E_FLAGS: ablating every encoder leaves the model no visual input/,
    ],
    ['an unknown mode', ['--ablate', 'mae=blur'], /E_USAGE: --ablate takes ENCODER=MODE with MODE one of zero, mean, shuffle, noise/],
    ['one encoder twice', ['--ablate', 'mae=zero', '--ablate', 'mae=mean'], /E_FLAGS: --ablate names encoder "mae" twice/],
  ])('refuses %s with exit 2 and one line', (_what, extra, pattern) => {
    const r = runCli([
      'run',
      'gqa',
      '--limit',
      '2',
      '--out',
      path.join(work, `bad-${Math.random().toString(36).slice(2)}`),
      '--device',
      'cpu',
      ...extra,
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
  });
});
