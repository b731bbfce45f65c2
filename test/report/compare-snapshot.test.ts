import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/compare/compare.js';
import { applyGate } from '../../src/compare/gate.js';
import { compareJunit, compareMarkdown, compareTable } from '../../src/report/compare-formats.js';
import type { LoadedRun } from '../../src/runs/read-run.js';
import type { PredictionLine } from '../../src/runs/prediction-line.js';

// Two small synthetic GQA runs on the same 24 questions (6 images): B fixes 5 of A's errors in
// `query` and breaks 1 `verify`, so the table has a clear winner and a significant change.
function makeRun(name: string, correct: (i: number) => boolean): LoadedRun {
  const rows: PredictionLine[] = Array.from({ length: 24 }, (_, i) => ({
    id: String(i), imageId: `img${i % 6}`, question: `q${i}`, prediction: correct(i) ? 'yes' : 'no', answers: ['yes'],
    scores: { correct: correct(i) ? 1 : 0 }, categories: { structural: i % 2 ? 'query' : 'verify', semantic: 'attr', detailed: 'x' },
    group: `img${i % 6}`, extra: { isBalanced: true, entailed: [], globalGroup: null, steps: 1, words: 4 },
  }));
  return {
    dir: `/runs/${name}`, rows,
    record: {
      xfbenchVersion: '0.1.0', createdAt: '', command: '', gitCommit: null, kind: 'run',
      bundle: { name, dir: '', sha256: 'b', fusionKind: 'clip', formatVersion: 1 },
      dataset: { id: 'gqa', dir: '', sha256: 'same-data', questions: 24, evaluated: 24 }, provider: null,
      config: {}, timings: {}, metrics: [{ metric: 'gqa.accuracy', category: 'overall', value: 0, n: 24, higherIsBetter: true }],
    },
  };
}

const a = makeRun('clip', (i) => i % 2 === 0 ? i !== 0 : i > 12);
const b = makeRun('xformer', (i) => i % 2 === 0 ? i !== 0 && i !== 2 : i > 2);

describe('compare renders one comparison the same way in every format', () => {
  it('as Markdown, JUnit and a plain table', async () => {
    const c = await compareRuns(a, b, { bootstrap: { seed: 1, iterations: 200 } });
    const gate = applyGate({ requireSignificant: false, rules: [{ metric: 'gqa.accuracy', category: 'structural/*', maxDrop: 2 }] }, c, 'gate.json');
    expect(compareMarkdown(c, gate)).toMatchInlineSnapshot(`
      "### xfbench compare · gqa: clip (A) vs xformer (B)

      24 paired items.

      | metric | category | n | A | B | Δ | 95% CI of Δ | p (adj.) | adjusted within | MDE (80%) | verdict |
      |---|---|---:|---:|---:|---:|---:|---:|---|---:|---|
      | gqa.accuracy | overall | 24 | 70.83 | 87.50 | +16.67 | -8.33 … 37.60 | 0.2500 | primary | 31.61 | inconclusive |
      | gqa.accuracy | binary | 12 | 91.67 | 83.33 | -8.33 | -25.00 … 0.00 | 0.5000 | answer (2) | 20.98 | inconclusive |
      | gqa.accuracy | open | 12 | 50.00 | 91.67 | +41.67 | 25.00 … 50.00 | 0.2500 | answer (2) | 20.98 | inconclusive |
      | gqa.accuracy | structural/verify | 12 | 91.67 | 83.33 | -8.33 | -25.00 … 0.00 | 0.5000 | structural (2) | 20.98 | inconclusive |
      | gqa.accuracy | structural/query | 12 | 50.00 | 91.67 | +41.67 | 25.00 … 50.00 | 0.2500 | structural (2) | 20.98 | inconclusive |
      | gqa.accuracy | semantic/attr | 24 | 70.83 | 87.50 | +16.67 | -8.33 … 37.60 | 0.2500 | semantic (1) | 31.61 | inconclusive |

      **Gate failed**: 1 of 2 checks.
      - ❌ \`gqa.accuracy\` structural/verify: dropped by 8.33 (allowed drop 2)
      "
    `);
    expect(compareJunit(c, gate)).toMatchInlineSnapshot(`
      "<?xml version="1.0" encoding="UTF-8"?>
      <testsuites name="xfbench" tests="2" failures="1">
        <testsuite name="gate clip vs xformer" tests="2" failures="1">
          <testcase classname="xfbench.gate.gqa" name="gqa.accuracy structural/verify">
            <failure message="dropped by 8.33 (allowed drop 2)" type="regression">clip -&gt; xformer: dropped by 8.33 (allowed drop 2)</failure>
          </testcase>
          <testcase classname="xfbench.gate.gqa" name="gqa.accuracy structural/query"></testcase>
        </testsuite>
      </testsuites>
      "
    `);
    // chalk is colourless under vitest (no TTY), so this is the plain table a CI log shows
    expect(compareTable(c, gate).split('\n').slice(0, 12).join('\n')).toMatchInlineSnapshot(`
      "compare gqa: A = clip, B = xformer, 24 paired items
      gqa.accuracy
      ┌────────────────────┬────┬─────────┬─────────┬────────┬───────────────┬────────┬──────────────┐
      │ category           │  n │       A │       B │  Δ B−A │   95% CI of Δ │ p adj. │ verdict      │
      │ overall            │ 24 │ 70.8333 │ 87.5000 │ +16.67 │ -8.33 … 37.60 │ 0.2500 │ inconclusive │
      │ answer: Holm/2     │    │         │         │        │               │        │              │
      │ binary             │ 12 │ 91.6667 │ 83.3333 │  -8.33 │ -25.00 … 0.00 │ 0.5000 │ inconclusive │
      │ open               │ 12 │ 50.0000 │ 91.6667 │ +41.67 │ 25.00 … 50.00 │ 0.2500 │ inconclusive │
      │ structural: Holm/2 │    │         │         │        │               │        │              │
      │ structural/verify  │ 12 │ 91.6667 │ 83.3333 │  -8.33 │ -25.00 … 0.00 │ 0.5000 │ inconclusive │
      │ structural/query   │ 12 │ 50.0000 │ 91.6667 │ +41.67 │ 25.00 … 50.00 │ 0.2500 │ inconclusive │
      │ semantic: 1 test   │    │         │         │        │               │        │              │"
    `);
  });
});
