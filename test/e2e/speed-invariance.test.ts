import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { FIXTURES, tempDir } from '../helpers/paths.js';

function predictions(dir: string): string {
  return readFileSync(path.join(dir, 'predictions.jsonl'), 'utf8');
}

function byId(dir: string): Map<string, unknown> {
  return new Map(
    predictions(dir)
      .trim()
      .split('\n')
      .map((l) => {
        const row = JSON.parse(l) as { id: string };
        return [row.id, row];
      }),
  );
}

/** gqa-mini with its questions in a seeded random order (the bundled file lists them image by image). */
function shuffledGqaMini(dir: string): string {
  const src = path.join(FIXTURES, 'gqa-mini');
  cpSync(path.join(src, 'images'), path.join(dir, 'images'), { recursive: true });
  const records = Object.entries(
    JSON.parse(readFileSync(path.join(src, 'testdev_balanced_questions.json'), 'utf8')) as Record<string, unknown>,
  );
  let seed = 7;
  for (let i = records.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [records[i], records[j]] = [records[j]!, records[i]!];
  }
  // written by hand: JSON.stringify would put numeric keys back in ascending order
  const body = records.map(([id, r]) => `${JSON.stringify(id)}:${JSON.stringify(r)}`).join(',\n');
  writeFileSync(path.join(dir, 'testdev_balanced_questions.json'), `{${body}}\n`);
  return dir;
}

function metrics(dir: string): unknown {
  return JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')).metrics;
}

describe('speed never changes answers', () => {
  it('batching, prefetch, the vision cache and a warm disk cache give the same predictions as a plain run', () => {
    const dir = tempDir();
    const common = ['run', 'gvtbench', '--limit', '250', '--device', 'cpu', '--threads', '1'];
    const plain = path.join(dir, 'plain');
    expect(runCli([...common, '--out', plain, '--batch-size', '1', '--prefetch', '0', '--no-vision-cache']).status).toBe(0);
    const fast = path.join(dir, 'fast');
    expect(runCli([...common, '--out', fast, '--batch-size', '48', '--prefetch', '8', '--cache-dir', path.join(dir, 'cache')]).status).toBe(
      0,
    );
    const warm = path.join(dir, 'warm');
    expect(runCli([...common, '--out', warm, '--cache-dir', path.join(dir, 'cache')]).status).toBe(0);
    expect(predictions(fast)).toBe(predictions(plain));
    expect(predictions(warm)).toBe(predictions(plain));
    const timings = JSON.parse(readFileSync(path.join(warm, 'run.json'), 'utf8')).timings;
    expect(timings.visionCacheMisses).toBe(0); // every image came from the disk cache
    expect(timings.visionCacheHits).toBeGreaterThan(0);
  });

  it('a small read window (the stream planned a few questions at a time) changes neither answers nor figures', () => {
    const dir = tempDir();
    const data = shuffledGqaMini(path.join(dir, 'data'));
    const common = ['run', 'gqa', '--data', data, '--limit', '300', '--device', 'cpu', '--threads', '1'];
    const whole = path.join(dir, 'whole');
    expect(runCli([...common, '--out', whole]).status).toBe(0);
    const windowed = path.join(dir, 'windowed');
    expect(runCli([...common, '--out', windowed, '--window', '7', '--no-vision-cache']).status).toBe(0);
    // questions on one image are scattered through the file, so 7-question windows group them differently
    expect(predictions(windowed)).not.toBe(predictions(whole));
    expect(byId(windowed)).toEqual(byId(whole));
    expect(metrics(windowed)).toEqual(metrics(whole));
    const timings = JSON.parse(readFileSync(path.join(windowed, 'run.json'), 'utf8')).timings;
    expect(timings.images).toBeGreaterThan(JSON.parse(readFileSync(path.join(whole, 'run.json'), 'utf8')).timings.images);
  });
});
