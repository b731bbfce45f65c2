import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPredictionLines } from '../../src/runs/prediction-line.js';
import { tempDir } from '../helpers/paths.js';

describe('reading predictions.jsonl', () => {
  it('gives every line once across chunk boundaries, with CRLF ends, multibyte text and no final newline', async () => {
    const line = (i: number) => ({
      id: String(i), imageId: `img${i % 7}`, question: `Какого цвета 🐘 ${i}?`, prediction: 'серый', answers: ['серый'],
      scores: { correct: 1 }, categories: { structural: 'query' }, group: `img${i % 7}`, extra: {},
    });
    const n = 12_000; // several MB: many chunks, boundaries inside lines and inside characters
    const text = Array.from({ length: n }, (_, i) => JSON.stringify(line(i))).join('\r\n');
    const file = path.join(tempDir(), 'predictions.jsonl');
    writeFileSync(file, text);
    const read: unknown[] = [];
    for await (const l of readPredictionLines(file)) read.push(l);
    expect(read).toHaveLength(n);
    expect(read[0]).toEqual(line(0));
    expect(read[n - 1]).toEqual(line(n - 1));
    expect(read.every((l, i) => (l as { id: string }).id === String(i))).toBe(true);
  });
});
