import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/paths.js';

/** Runs the CLI with a terminal on its stdio (util-linux's `script`), as a user at a shell would. */
function inTerminal(args: string[]): string {
  const command = [path.join(ROOT, 'bin/run.js'), ...args].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qfec', command, '/dev/null'], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 120_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('the progress bar', () => {
  it('shows a throttled bar with rate and ETA at a terminal, and nothing with --quiet or without a terminal', () => {
    const shown = inTerminal(['run', 'gqa', '--limit', '600', '--out', path.join(tempDir(), 'r'), '--device', 'cpu']);
    const frames = shown.match(/\] \d+\/600 · [\d.]+ q\/s · ETA/g) ?? [];
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.length).toBeLessThan(100); // redrawn a few times a second, not once per question
    expect(shown).toContain('600/600');
    const quiet = inTerminal(['run', 'gqa', '--limit', '100', '--out', path.join(tempDir(), 'q'), '--device', 'cpu', '--quiet']);
    expect(quiet).not.toMatch(/ETA/);
    const piped = spawnSync(
      process.execPath,
      [path.join(ROOT, 'bin/run.js'), 'run', 'gqa', '--limit', '100', '--out', path.join(tempDir(), 'p'), '--device', 'cpu'],
      { encoding: 'utf8' },
    );
    expect(piped.status).toBe(0);
    expect(piped.stderr).not.toMatch(/ETA/);
  });
});
