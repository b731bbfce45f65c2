import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

function predictions(dir: string): string {
  return readFileSync(path.join(dir, 'predictions.jsonl'), 'utf8');
}

describe('speed never changes answers', () => {
  it('batching, prefetch, the vision cache and a warm disk cache give the same predictions as a plain run', () => {
    const dir = tempDir();
    const common = ['run', 'gvtbench', '--limit', '250', '--device', 'cpu', '--threads', '1'];
    const plain = path.join(dir, 'plain');
    expect(runCli([...common, '--out', plain, '--batch-size', '1', '--prefetch', '0', '--no-vision-cache']).status).toBe(0);
    const fast = path.join(dir, 'fast');
    expect(runCli([...common, '--out', fast, '--batch-size', '48', '--prefetch', '8', '--cache-dir', path.join(dir, 'cache')]).status).toBe(0);
    const warm = path.join(dir, 'warm');
    expect(runCli([...common, '--out', warm, '--cache-dir', path.join(dir, 'cache')]).status).toBe(0);
    expect(predictions(fast)).toBe(predictions(plain));
    expect(predictions(warm)).toBe(predictions(plain));
    const timings = JSON.parse(readFileSync(path.join(warm, 'run.json'), 'utf8')).timings;
    expect(timings.visionCacheMisses).toBe(0); // every image came from the disk cache
    expect(timings.visionCacheHits).toBeGreaterThan(0);
  });
});
