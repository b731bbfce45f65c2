import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleForCheckpoint, cachedBundleDir } from '../../src/convert/checkpoint-cache.js';
import { tempDir } from '../helpers/paths.js';
import { convertedCheckpoint } from '../helpers/shared-results.js';

const saved = { cache: process.env.XFBENCH_CACHE_DIR, verified: process.env.XFBENCH_VERIFIED_FILES };
afterEach(() => {
  for (const [key, value] of [
    ['XFBENCH_CACHE_DIR', saved.cache],
    ['XFBENCH_VERIFIED_FILES', saved.verified],
  ] as const)
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
});

describe('the checkpoint cache under concurrent runs', () => {
  it('waits while a live process converts the same checkpoint, then uses its bundle instead of converting again', async () => {
    const { checkpoint, bundle } = await convertedCheckpoint('opt');
    const work = tempDir('xfbench-conversion-lock-');
    process.env.XFBENCH_CACHE_DIR = path.join(work, 'cache');
    process.env.XFBENCH_VERIFIED_FILES = path.join(work, 'verified.json');
    const target = await cachedBundleDir(checkpoint);
    // another process (a live one) holds the conversion lock of this checkpoint
    const other = spawn('sleep', ['60']);
    try {
      cpSync(bundle, path.join(work, 'staged'), { recursive: true });
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(`${target}.lock`, JSON.stringify({ pid: other.pid, host: hostname(), startedAt: new Date().toISOString() }));
      const messages: string[] = [];
      const result = bundleForCheckpoint(checkpoint, (m) => messages.push(m), { pollMs: 20 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(messages).toEqual([`waiting for another xfbench (pid ${other.pid} on ${hostname()}) converting this checkpoint`]);
      expect(existsSync(target)).toBe(false);
      // the other process finishes: its bundle appears in the cache
      cpSync(path.join(work, 'staged'), target, { recursive: true });
      expect(await result).toEqual({ bundleDir: target, converted: false });
      expect(messages).toHaveLength(1);
    } finally {
      other.kill();
    }
  });
});
