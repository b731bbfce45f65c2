import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ROOT, tempDir, writeSuiteFile } from '../helpers/paths.js';

const work = tempDir('xfbench-signals-');

function countLines(file: string): number {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0;
}

/** Starts a long command, sends `signal` once `file` holds 50 lines, and resolves with its exit status and stderr. */
function interrupt(args: string[], file: string, signal: NodeJS.Signals): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/run.js'), ...args], { env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const poll = setInterval(() => {
      if (countLines(file) >= 50) {
        clearInterval(poll);
        child.kill(signal);
      }
    }, 5);
    child.on('exit', (status) => {
      clearInterval(poll);
      resolve({ status, stderr });
    });
  });
}

const runJson = (dir: string) =>
  JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')) as { status: string; dataset: { evaluated: number } };

describe('a long command asked to stop keeps its work and exits 130, whichever command and signal', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('run, on %s, then the same command finishes it', async (signal) => {
    const out = path.join(work, `run-${signal}`);
    const args = ['run', 'gqa', '--limit', '600', '--device', 'cpu', '--out', out];
    const stopped = await interrupt(args, path.join(out, 'predictions.jsonl'), signal);
    expect(stopped.status, stopped.stderr).toBe(130);
    expect(stopped.stderr).toMatch(/xfbench: interrupted; \d+ predictions kept\. Run the same command again to continue\./);
    expect(runJson(out).status).toBe('stopped');
    expect(runJson(out).dataset.evaluated).toBeLessThan(600);
    expect(runCli(args).status).toBe(0);
    expect(runJson(out)).toMatchObject({ status: 'complete', dataset: { evaluated: 600 } });
  });

  it('suite run, on SIGTERM, exits as run does', async () => {
    const suite = path.join(work, 'suite.json');
    writeSuiteFile(suite, 'long', [
      { dataset: 'gqa', limit: 600 },
      { dataset: 'pope', limit: 10 },
    ]);
    const out = path.join(work, 'suite');
    const stopped = await interrupt(
      ['suite', 'run', suite, '--device', 'cpu', '--out', out],
      path.join(out, 'gqa', 'predictions.jsonl'),
      'SIGTERM',
    );
    expect(stopped.status, stopped.stderr).toBe(130);
    expect(stopped.stderr).toMatch(
      /xfbench: interrupted; the suite's finished benchmarks and \d+ predictions of the last one kept\. Run the same command again to continue\./,
    );
    expect(runJson(path.join(out, 'gqa')).status).toBe('stopped');
    expect(existsSync(path.join(out, 'pope'))).toBe(false);
  });
});
