import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLES, FIXTURES, ROOT } from '../helpers/paths.js';
import { bundledRun } from '../helpers/shared-results.js';

interface ZooCell {
  correct: number;
  n: number;
  accuracy: number;
}

const results = JSON.parse(readFileSync(path.join(ROOT, 'modelzoo/results.json'), 'utf8')) as {
  models: Record<string, { gqa: Record<string, ZooCell> }>;
};

// The decisive check: xfbench on onnxruntime gives the model zoo's PyTorch answers and table.
describe.each(Object.entries(BUNDLES))('xfbench reproduces the model zoo on gqa-mini: %s', (kind, dir) => {
  const name = path.basename(dir);
  it(`gives the same answer to every question and the same per-category table (${name})`, async () => {
    const { out, ...r } = await bundledRun(kind as keyof typeof BUNDLES, 'gqa');
    expect(r.status, r.stderr).toBe(0);
    const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'references', name, 'gqa-mini-predictions.json'), 'utf8')) as Record<
      string,
      string
    >;
    const lines = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; prediction: string });
    expect(lines).toHaveLength(Object.keys(expected).length);
    const mismatches = lines.filter((l) => l.prediction !== expected[l.id]);
    expect(mismatches.slice(0, 5)).toEqual([]);

    const run = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as {
      metrics: Array<{ category: string; value: number; n: number }>;
    };
    const zoo = results.models[name]!.gqa;
    for (const [category, cell] of Object.entries(zoo)) {
      const ours = run.metrics.find((m) => m.category === category);
      expect(ours, category).toBeDefined();
      expect(ours!.n, category).toBe(cell.n);
      expect(ours!.value.toFixed(2), category).toBe(cell.accuracy.toFixed(2));
    }
  });
});
