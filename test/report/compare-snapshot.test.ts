import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/compare/compare.js';
import { applyGate } from '../../src/compare/gate.js';
import { compareJunit, compareMarkdown, compareTable } from '../../src/report/compare-formats.js';
import type { LoadedRun } from '../../src/runs/read-run.js';
import type { PredictionLine } from '../../src/runs/prediction-line.js';

// Two small synthetic GQA runs on the same 40 questions (20 images, a verify and a query question on
// each): B fixes 15 of A's 15 wrong `query` answers and breaks 1 `verify` answer, so the table has a
// clear winner (overall and query: better, significant) beside a change it cannot call (verify).
function makeRun(name: string, correct: (i: number) => boolean): LoadedRun {
  const rows: PredictionLine[] = Array.from({ length: 40 }, (_, i) => ({
    id: String(i),
    imageId: `img${i >> 1}`,
    question: `q${i}`,
    prediction: correct(i) ? 'yes' : 'no',
    answers: ['yes'],
    scores: { correct: correct(i) ? 1 : 0 },
    categories: { structural: i % 2 ? 'query' : 'verify', semantic: 'attr', detailed: 'x' },
    group: `img${i >> 1}`,
    extra: { isBalanced: true, entailed: [], globalGroup: null, steps: 1, words: 4 },
  }));
  return {
    dir: `/runs/${name}`,
    rows,
    record: {
      xfbenchVersion: '0.1.0',
      createdAt: '',
      command: '',
      gitCommit: null,
      kind: 'run',
      bundle: { name, dir: '', sha256: 'b', fusionKind: 'clip', formatVersion: 1 },
      dataset: { id: 'gqa', dir: '', sha256: 'same-data', questions: 40, evaluated: 40 },
      provider: null,
      config: { metrics: ['gqa.accuracy'], allQuestions: false, choices: null },
      timings: {},
      metrics: [{ metric: 'gqa.accuracy', category: 'overall', value: 0, n: 40, higherIsBetter: true }],
    },
  };
}

const a = makeRun('clip', (i) => (i % 2 === 0 ? i !== 0 : i > 30));
const b = makeRun('xformer', (i) => (i % 2 === 0 ? i !== 0 && i !== 2 : true));

describe('compare renders one comparison the same way in every format', () => {
  it('as Markdown, JUnit and a plain table', async () => {
    const c = await compareRuns(a, b, { signPatterns: { seed: 1, iterations: 200 } });
    const gate = applyGate({ rules: [{ metric: 'gqa.accuracy', category: 'structural/*', maxDrop: 2, mode: 'observed' }] }, c, 'gate.json');
    const verdict = (category: string) => c.rows.find((r) => r.category === category)!;
    expect([verdict('overall').verdict, verdict('structural/query').verdict]).toEqual(['better', 'better']);
    expect(verdict('overall').pAdjusted).toBeLessThan(0.05);
    expect(verdict('structural/verify').verdict).not.toBe('better');
    expect(compareMarkdown(c, gate)).toMatchInlineSnapshot(`
      "### xfbench compare · gqa: clip (A) vs xformer (B)

      40 paired items.

      | metric | category | n | A | B | Δ | CI of Δ | p (adj.) | adjusted within | MDE (80%) | verdict |
      |---|---|---:|---:|---:|---:|---:|---:|---|---:|---|
      | gqa.accuracy | overall | 40 | 60.00 | 95.00 | +35.00 | 21.42 … 51.54 | 0.0001 | primary | 15.53 | 🟢 better |
      | gqa.accuracy | binary | 20 | 95.00 | 90.00 | -5.00 | -25.36 … 6.71 | 1.0000 | answer (2) | 16.47 | inconclusive |
      | gqa.accuracy | open | 20 | 25.00 | 100.00 | +75.00 | 50.00 … 100.00 | 0.0001 | answer (2) | 32.73 | 🟢 better |
      | gqa.accuracy | structural/verify | 20 | 95.00 | 90.00 | -5.00 | -25.36 … 6.71 | 1.0000 | structural (2) | 16.47 | inconclusive |
      | gqa.accuracy | structural/query | 20 | 25.00 | 100.00 | +75.00 | 50.00 … 100.00 | 0.0001 | structural (2) | 32.73 | 🟢 better |
      | gqa.accuracy | semantic/attr | 40 | 60.00 | 95.00 | +35.00 | 21.42 … 51.54 | 0.0001 | semantic (1) | 15.53 | 🟢 better |

      **Gate failed**: 1 of 2 checks at α = 0.05.
      - ❌ \`gqa.accuracy\` structural/verify: dropped by 5.00 (allowed drop 2), observed (mode observed: noise alone can fail it)
      "
    `);
    expect(compareJunit(c, gate)).toMatchInlineSnapshot(`
      "<?xml version="1.0" encoding="UTF-8"?>
      <testsuites name="xfbench" tests="2" failures="1">
        <testsuite name="gate clip vs xformer" tests="2" failures="1" skipped="0">
          <testcase classname="xfbench.gate.gqa" name="gqa.accuracy structural/verify">
            <failure message="dropped by 5.00 (allowed drop 2), observed (mode observed: noise alone can fail it)" type="regression">clip -&gt; xformer: dropped by 5.00 (allowed drop 2), observed (mode observed: noise alone can fail it)</failure>
          </testcase>
          <testcase classname="xfbench.gate.gqa" name="gqa.accuracy structural/query"></testcase>
        </testsuite>
      </testsuites>
      "
    `);
    // chalk is colourless under vitest (no TTY), so this is the plain table a CI log shows
    expect(compareTable(c, gate).split('\n').slice(0, 12).join('\n')).toMatchInlineSnapshot(`
      "compare gqa: A = clip, B = xformer, 40 paired items
      gqa.accuracy
      ┌────────────────────┬────┬─────────┬──────────┬────────┬────────────────┬────────┬──────────────┐
      │ category           │  n │       A │        B │  Δ B−A │        CI of Δ │ p adj. │ verdict      │
      │ overall            │ 40 │ 60.0000 │  95.0000 │ +35.00 │  21.42 … 51.54 │ 0.0001 │ better       │
      │ answer: Holm/2     │    │         │          │        │                │        │              │
      │ binary             │ 20 │ 95.0000 │  90.0000 │  -5.00 │  -25.36 … 6.71 │ 1.0000 │ inconclusive │
      │ open               │ 20 │ 25.0000 │ 100.0000 │ +75.00 │ 50.00 … 100.00 │ 0.0001 │ better       │
      │ structural: Holm/2 │    │         │          │        │                │        │              │
      │ structural/verify  │ 20 │ 95.0000 │  90.0000 │  -5.00 │  -25.36 … 6.71 │ 1.0000 │ inconclusive │
      │ structural/query   │ 20 │ 25.0000 │ 100.0000 │ +75.00 │ 50.00 … 100.00 │ 0.0001 │ better       │
      │ semantic: 1 test   │    │         │          │        │                │        │              │"
    `);
  });
});
