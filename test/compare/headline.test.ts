import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/compare/compare.js';
import { applyGate } from '../../src/compare/gate.js';
import type { PredictionLine } from '../../src/runs/prediction-line.js';
import type { LoadedRun } from '../../src/runs/read-run.js';
import { simulatedRun } from '../../src/bench/simulated-run.js';

const boot = { seed: 4, iterations: 999 };

/** An MMVP-shaped run: `pairs` pairs of two questions, each question right where `correct(i)` says. */
function mmvpRun(name: string, pairs: number, correct: (i: number) => boolean): LoadedRun {
  const rows: PredictionLine[] = Array.from({ length: 2 * pairs }, (_, i) => ({
    id: String(i),
    imageId: `pair${i >> 1}`,
    question: `q${i}`,
    prediction: correct(i) ? 'a' : 'b',
    answers: ['a', 'option a'],
    scores: { mmvpCorrect: correct(i) ? 1 : 0 },
    categories: {},
    group: `pair${i >> 1}`,
    extra: {},
  }));
  return simulatedRun(name, 'mmvp', ['mmvp.accuracy', 'mmvp.pair-accuracy'], rows);
}

describe('headline metrics that are not per-question means get a paired test by permutation over images', () => {
  // A gets one question of every pair right (pair accuracy 0); B gets both right on the first 30 pairs
  const a = mmvpRun('A', 100, (i) => i % 2 === 0);
  const better = mmvpRun('B', 100, (i) => i % 2 === 0 || i < 60);

  it('calls a clear gain in pair accuracy better (it used to say "not tested")', async () => {
    const c = await compareRuns(a, better, { signPatterns: boot });
    const row = c.rows.find((r) => r.metric === 'mmvp.pair-accuracy' && r.category === 'overall')!;
    expect(row.delta).toBeCloseTo(30, 10);
    expect(row.test).toMatchObject({ method: 'permutation', clusters: 100 });
    // 30 of 100 pairs all moved one way: no random swap of pairs reaches it, so p is the floor 1/1000
    expect(row.test!.p).toBeCloseTo(1 / 1000, 12);
    expect(row.verdict).toBe('better');
  });

  it('finds nothing when the pairs that improved are matched by pairs that got worse', async () => {
    // A: pairs 20-29 both right; C: pairs 0-11 both right, pairs 20-29 down to one right
    const base = mmvpRun('A', 100, (i) => i % 2 === 0 || (i >= 40 && i < 60));
    const mixed = mmvpRun('C', 100, (i) => i % 2 === 0 || i < 24);
    const c = await compareRuns(base, mixed, { signPatterns: boot });
    const row = c.rows.find((r) => r.metric === 'mmvp.pair-accuracy')!;
    expect(row.delta).toBeCloseTo(2, 10);
    expect(row.test!.p).toBeGreaterThan(0.05);
    expect(row.verdict).toBe('inconclusive');
  });

  it('gives too few pairs no verdict', async () => {
    const c = await compareRuns(
      mmvpRun('A', 6, (i) => i % 2 === 0),
      mmvpRun('B', 6, () => true),
      { signPatterns: boot },
    );
    expect(c.rows.find((r) => r.metric === 'mmvp.pair-accuracy')!.verdict).toBe('too few images');
  });

  it('compares by value, and says why, where the run is too large for the permutation test to take about a second', async () => {
    const c = await compareRuns(
      mmvpRun('A', 20_000, (i) => i % 2 === 0),
      mmvpRun('B', 20_000, () => true),
      { signPatterns: boot },
    );
    const row = c.rows.find((r) => r.metric === 'mmvp.pair-accuracy')!;
    expect(row.test).toBeUndefined();
    expect(row.note).toMatch(/40000 questions are too many for the permutation test's budget/);
  });

  it('gates such a metric only on its observed value', async () => {
    const c = await compareRuns(better, a, { signPatterns: boot });
    const g = applyGate({ rules: [{ metric: 'mmvp.pair-accuracy', category: 'overall', maxDrop: 5, mode: 'observed' }] }, c, 'gate.json');
    expect(g.passed).toBe(false);
  });
});
