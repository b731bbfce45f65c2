import { spawn } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { BUNDLES, ROOT, tempDir } from '../helpers/paths.js';

const work = tempDir('xfbench-shards-');
const LIMIT = '800';
const shardDir = (i: number) => path.join(work, `shard-${i}`);

/** `xfbench run` as a child process; resolves with its exit status (killed: null). */
function runAsync(args: string[], killAfterMs?: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/run.js'), ...args], { stdio: 'ignore' });
    if (killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code) => resolve(code));
  });
}

// as on nodes of different sizes: shards 0 and 2 on one thread, 1 on two, 3 on the default threads and another batch size
const speedArgs = (i: number) =>
  [
    ['--threads', '1'],
    ['--threads', '2'],
    ['--threads', '1'],
    ['--batch-size', '4'],
  ][i]!;
/** Shard i of 4 of the first LIMIT questions, into `out`, on the CPU, with `extra` flags (by default the shard's speed settings). */
const shardArgs = (i: number, out = shardDir(i), extra = speedArgs(i)) => [
  'run',
  'gqa',
  '--limit',
  LIMIT,
  '--shard',
  `${i}/4`,
  '--out',
  out,
  '--device',
  'cpu',
  ...extra,
];
const config = (dir: string) =>
  (JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')) as { config: Record<string, unknown> }).config;
const metrics = (dir: string) => (JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')) as { metrics: unknown }).metrics;

describe('shards and merge', () => {
  it('4 shards run in parallel (one killed and resumed) merge into exactly the run made in one piece', async () => {
    // shard 0 is killed a moment in, and run again to finish
    await runAsync(shardArgs(0), 1500);
    const codes = await Promise.all([0, 1, 2, 3].map((i) => runAsync(shardArgs(i))));
    expect(codes).toEqual([0, 0, 0, 0]);
    const merged = path.join(work, 'merged');
    const m = runCli(['merge', ...[0, 1, 2, 3].map(shardDir), '--out', merged, '--json']);
    expect(m.status, m.stderr).toBe(0);
    expect((JSON.parse(m.stdout) as { shards: number; questions: number }).questions).toBe(Number(LIMIT));
    // the merged run keeps the answer settings and only the speed settings every shard shared
    expect(new Set([0, 1, 2, 3].map((i) => config(shardDir(i))['threads'])).size).toBe(3);
    expect(config(merged)).toMatchObject({
      generation: config(shardDir(0))['generation'],
      limit: Number(LIMIT),
      device: 'cpu',
      prefetch: 2,
      shard: null,
    });
    expect(config(merged)).not.toHaveProperty('threads');
    expect(config(merged)).not.toHaveProperty('batchSize');
    const whole = path.join(work, 'whole');
    expect(runCli(['run', 'gqa', '--limit', LIMIT, '--out', whole, '--device', 'cpu']).status).toBe(0);
    expect(readFileSync(path.join(merged, 'predictions.jsonl'), 'utf8')).toBe(readFileSync(path.join(whole, 'predictions.jsonl'), 'utf8'));
    expect(metrics(merged)).toEqual(metrics(whole));
    // the merged run is an ordinary run: compare and report take it
    expect(runCli(['compare', whole, merged]).status).toBe(0);

    // a lone shard is not a run of the dataset
    const lone = runCli(['compare', whole, shardDir(1)]);
    expect(lone.status).toBe(2);
    expect(lone.stderr).toMatch(/E_RUN_SHARD .*shard 1\/4 of the dataset.*xfbench merge/);

    const refused = (dirs: string[], pattern: RegExp) => {
      const r = runCli(['merge', ...dirs, '--out', path.join(work, `m-${Math.random().toString(36).slice(2)}`)]);
      expect(r.status, r.stdout).toBe(2);
      expect(r.stderr).toMatch(pattern);
    };
    refused([0, 1, 3].map(shardDir), /E_MERGE .*shard 2\/4 missing/);
    refused([0, 1, 2, 3, 3].map(shardDir), /E_MERGE .*shard 3\/4 is given twice/);
    const other = path.join(work, 'other-bundle');
    expect(
      runCli(['run', 'gqa', '--limit', LIMIT, '--shard', '2/4', '--model', BUNDLES.clip, '--out', other, '--device', 'cpu']).status,
    ).toBe(0);
    refused([shardDir(0), shardDir(1), other, shardDir(3)], /E_MERGE .*shard 2\/4 was run with another model bundle/);
    const shorter = path.join(work, 'shorter-answers');
    expect(
      runCli(['run', 'gqa', '--limit', LIMIT, '--shard', '2/4', '--max-new-tokens', '3', '--out', shorter, '--device', 'cpu']).status,
    ).toBe(0);
    refused(
      [shardDir(0), shardDir(1), shorter, shardDir(3)],
      /E_MERGE .*shard 2\/4 was run with another setting \(--num-beams \/ --max-new-tokens: .*"maxNewTokens":3/,
    );
    const unfinished = path.join(work, 'unfinished');
    cpSync(shardDir(2), unfinished, { recursive: true });
    const runJson = path.join(unfinished, 'run.json');
    writeFileSync(runJson, readFileSync(runJson, 'utf8').replace('"status": "complete"', '"status": "running"'));
    refused([shardDir(0), shardDir(1), unfinished, shardDir(3)], /E_MERGE .*shard 2\/4 is not finished/);
    refused([whole, shardDir(1)], /E_MERGE .*not a shard/);
    // a question placed in a shard it does not belong to (two shards of other splits mixed)
    const mixed = path.join(work, 'mixed');
    cpSync(shardDir(0), mixed, { recursive: true });
    const stray = readFileSync(path.join(shardDir(1), 'predictions.jsonl'), 'utf8').split('\n')[0]!;
    writeFileSync(path.join(mixed, 'predictions.jsonl'), `${readFileSync(path.join(mixed, 'predictions.jsonl'), 'utf8')}${stray}\n`);
    refused([mixed, shardDir(1), shardDir(2), shardDir(3)], /E_MERGE .*question \d+ does not belong to shard 0\/4/);
  });
});

describe('a vision cache shared by shards', () => {
  it('written by 4 shards at once holds only whole, right entries; a damaged entry is a miss, never a wrong answer', async () => {
    const { readdirSync, statSync } = await import('node:fs');
    const cache = path.join(work, 'shared-cache');
    const codes = await Promise.all(
      [0, 1, 2, 3].map((i) => runAsync(shardArgs(i, path.join(work, `cached-${i}`), ['--cache-dir', cache, '--threads', '1']))),
    );
    expect(codes).toEqual([0, 0, 0, 0]);
    const entries = readdirSync(cache).flatMap((d) => readdirSync(path.join(cache, d)).map((f) => path.join(cache, d, f)));
    expect(entries.every((f) => f.endsWith('.f32'))).toBe(true); // no temp file left behind
    const plain = path.join(work, 'plain');
    expect(runCli(['run', 'gqa', '--limit', LIMIT, '--out', plain, '--device', 'cpu', '--no-vision-cache']).status).toBe(0);
    const fromCache = (name: string) => {
      const out = path.join(work, name);
      expect(runCli(['run', 'gqa', '--limit', LIMIT, '--out', out, '--device', 'cpu', '--cache-dir', cache]).status).toBe(0);
      expect(readFileSync(path.join(out, 'predictions.jsonl'), 'utf8')).toBe(readFileSync(path.join(plain, 'predictions.jsonl'), 'utf8'));
      return (JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as { timings: Record<string, number> }).timings;
    };
    const warm = fromCache('warm');
    expect(warm['visionCacheMisses']).toBe(0);
    expect(warm['visionCacheHits']).toBe(entries.length);
    // flip one byte of the data of three entries: same length, wrong numbers
    for (const f of entries.slice(0, 3)) {
      const b = readFileSync(f);
      b[b.length - 1] ^= 0xff;
      writeFileSync(f, b);
      expect(statSync(f).size).toBe(b.length);
    }
    expect(fromCache('damaged')['visionCacheMisses']).toBe(3);
  });
});
