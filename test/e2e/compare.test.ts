import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareManyOutputSchema, compareOutputSchema } from '../../src/compare/schema.js';
import { publishedSchemas } from '../../src/report/json-schemas.js';
import { runCli } from '../helpers/cli.js';
import { GQA_MINI, ROOT, tempDir } from '../helpers/paths.js';

interface Record_ {
  answer: string;
  types: { structural: string; semantic: string };
  isBalanced: boolean;
}
const records = JSON.parse(readFileSync(path.join(GQA_MINI, 'testdev_balanced_questions.json'), 'utf8')) as Record<string, Record_>;

const work = tempDir('xfbench-compare-');
const baseRun = path.join(work, 'base');
let basePredictions: Record<string, string>;

function scoreRun(name: string, predictions: Record<string, string>, data = GQA_MINI): string {
  const file = path.join(work, `${name}.jsonl`);
  writeFileSync(
    file,
    Object.entries(predictions)
      .map(([id, prediction]) => JSON.stringify({ id, prediction }))
      .join('\n'),
  );
  const out = path.join(work, name);
  const r = runCli(['score', 'gqa', '--predictions', file, '--data', data, '--out', out, '--json']);
  expect(r.status, r.stderr).toBe(0);
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function writeGate(rules: object[]): string {
  const file = path.join(work, `gate-${rules.length}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ rules }));
  return file;
}

const GATE = [
  { metric: 'gqa.accuracy', category: 'overall', maxDrop: 0.5 },
  { metric: 'gqa.accuracy', category: 'structural/*', maxDrop: 2 },
];

beforeAll(() => {
  // a real run of the bundled X-Former is the starting point of every synthetic variant
  const r = runCli(['run', 'gqa', '--limit', '900', '--out', baseRun, '--device', 'cpu', '--json']);
  expect(r.status, r.stderr).toBe(0);
  const lines = readFileSync(path.join(baseRun, 'predictions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string; prediction: string });
  basePredictions = Object.fromEntries(lines.map((l) => [l.id, l.prediction]));
});

describe('xfbench compare and the regression gate', () => {
  it("writes a failing gate's whole JSON document to a pipe before it exits 3", () => {
    // several candidates: a document well past the 64 KiB a pipe holds, read by a consumer that
    // starts late, as `| jq` or a PR-comment step may; process.exit used to cut it at 65,536 bytes
    const ids = Object.keys(basePredictions);
    // each candidate gets 100 of the baseline's right answers wrong: a drop every gate rule can see
    const right = ids.filter((id) => basePredictions[id] === records[id]!.answer);
    const flipped = (from: number) => {
      const p = { ...basePredictions };
      for (const id of right.slice(from, from + 100)) p[id] = `${records[id]!.answer}-not`;
      return p;
    };
    const runs = [
      scoreRun('pipe-base', basePredictions),
      scoreRun('pipe-1', flipped(0)),
      scoreRun('pipe-2', flipped(100)),
      scoreRun('pipe-3', flipped(200)),
    ];
    const out = path.join(work, 'piped.json');
    const cli = [process.execPath, path.join(ROOT, 'bin/run.js'), 'compare', ...runs, '--gate', writeGate(GATE), '--json', '--details'];
    const r = spawnSync('bash', ['-c', `set -o pipefail; "$@" | (sleep 1; cat > ${JSON.stringify(out)})`, 'pipe', ...cli], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(r.status, r.stderr).toBe(3);
    const text = readFileSync(out, 'utf8');
    expect(text.length).toBeGreaterThan(65_536);
    const doc = compareManyOutputSchema.parse(JSON.parse(text));
    expect(doc.gates!.some((g) => !g.passed)).toBe(true);
  });

  it('fails the gate on a true 10-point drop in one structural type, naming it, with exit status 3', () => {
    const ids = Object.keys(basePredictions).filter((id) => records[id]!.isBalanced && records[id]!.types.structural === 'verify');
    const correct = ids.filter((id) => basePredictions[id] === records[id]!.answer);
    const flips = Math.ceil(ids.length * 0.1) + 1;
    expect(correct.length).toBeGreaterThanOrEqual(flips);
    const worse = { ...basePredictions };
    for (const id of correct.slice(0, flips)) worse[id] = records[id]!.answer === 'yes' ? 'no' : 'yes';
    const candidate = scoreRun('drop', worse);
    const base = scoreRun('same', basePredictions);

    const r = runCli(['compare', base, candidate, '--gate', writeGate(GATE)]);
    expect(r.status, r.stderr).toBe(3);
    // the verify questions are about a third of the set, so overall falls past its 0.5-point limit too
    expect(r.stdout).toMatch(/gate FAILED: 2 of 6 checks/);
    expect(r.stdout).toMatch(/✗ gqa\.accuracy structural\/verify: dropped by 1\d\.\d\d \(allowed drop 2\); a drop beyond 2 is shown/);
    expect(r.stdout).toMatch(/✗ gqa\.accuracy overall: dropped by \d\.\d\d \(allowed drop 0\.5\); a drop beyond 0\.5 is shown/);
    expect(r.stdout.match(/✗ gqa\.accuracy structural\//g)).toHaveLength(1);

    const junit = runCli(['compare', base, candidate, '--gate', writeGate(GATE), '--format', 'junit']);
    expect(junit.status).toBe(3);
    expect(junit.stdout).toContain('<testcase classname="xfbench.gate.gqa" name="gqa.accuracy structural/verify">');
    expect(junit.stdout).toMatch(/failures="2"/);
    expect(junit.stdout).toMatch(/name="gqa.accuracy structural\/verify">\s*<failure message="dropped by/);
  });

  it('passes a shuffle that keeps every category accuracy', () => {
    // swap right and wrong between pairs of questions that share every category label and are both
    // scored (balanced) or both not
    const shuffled = { ...basePredictions };
    const cell = (id: string) => JSON.stringify([records[id]!.types, records[id]!.isBalanced]);
    const byCell = new Map<string, { right: string[]; wrong: string[] }>();
    for (const id of Object.keys(basePredictions)) {
      const c = byCell.get(cell(id)) ?? { right: [], wrong: [] };
      (basePredictions[id] === records[id]!.answer ? c.right : c.wrong).push(id);
      byCell.set(cell(id), c);
    }
    let swapped = 0;
    for (const { right, wrong } of byCell.values()) {
      for (let k = 0; k < Math.min(right.length, wrong.length, 3); k++) {
        shuffled[right[k]!] = `${records[right[k]!]!.answer}-not`;
        shuffled[wrong[k]!] = records[wrong[k]!]!.answer;
        swapped++;
      }
    }
    expect(swapped).toBeGreaterThan(10);
    const base = scoreRun('base2', basePredictions);
    const candidate = scoreRun('shuffled', shuffled);
    const r = runCli(['compare', base, candidate, '--gate', writeGate(GATE), '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = compareOutputSchema.parse(JSON.parse(r.stdout));
    expect(out.gate!.passed).toBe(true);
    const overall = out.comparison.rows.find((x) => x.metric === 'gqa.accuracy' && x.category === 'overall')!;
    expect(overall.delta).toBeCloseTo(0, 10);
    expect(overall.test!.discordant!.aOnly).toBe(overall.test!.discordant!.bOnly);
    expect(overall.test!.p).toBe(1);
  });

  it('refuses runs on different datasets, different items without --intersect, and bad gates (exit 2)', () => {
    const other = path.join(work, 'other-data');
    runCli(['run', 'gqa', '--limit', '1', '--out', path.join(work, 'warm'), '--device', 'cpu']);
    const { cpSync } = require('node:fs') as typeof import('node:fs');
    cpSync(GQA_MINI, other, { recursive: true });
    const q = path.join(other, 'testdev_balanced_questions.json');
    const recs = JSON.parse(readFileSync(q, 'utf8'));
    recs[Object.keys(recs)[0]!].question += ' ';
    writeFileSync(q, JSON.stringify(recs));
    const onOther = scoreRun('other', basePredictions, other);
    const base = scoreRun('base3', basePredictions);
    const diff = runCli(['compare', base, onOther]);
    expect(diff.status).toBe(2);
    expect(diff.stderr).toMatch(/E_DATASET_MISMATCH .*different datasets/);

    const fewer = Object.fromEntries(Object.entries(basePredictions).slice(0, 300));
    const partial = scoreRun('partial', fewer);
    const items = runCli(['compare', base, partial]);
    expect(items.status).toBe(2);
    expect(items.stderr).toMatch(/E_ITEMS_DIFFER .*600 only in A, 0 only in B.*--intersect/);
    const inter = runCli(['compare', base, partial, '--intersect']);
    expect(inter.status).toBe(0);
    expect(inter.stdout).toContain('dropped 600 items only in A and 0 only in B');

    const unknownMetric = runCli(['compare', base, partial, '--intersect', '--gate', writeGate([{ metric: 'gqa.acuracy', maxDrop: 1 }])]);
    expect(unknownMetric.status).toBe(2);
    expect(unknownMetric.stderr).toMatch(/E_GATE_UNKNOWN_METRIC .*rules\[0\]\.metric.*Did you mean: gqa\.accuracy/);
    const noMatch = runCli([
      'compare',
      base,
      partial,
      '--intersect',
      '--gate',
      writeGate([{ metric: 'gqa.accuracy', category: 'structural/verfy', maxDrop: 1 }]),
    ]);
    expect(noMatch.status).toBe(2);
    expect(noMatch.stderr).toMatch(/E_GATE_NO_MATCH .*matches nothing/);
    const badField = runCli(['compare', base, partial, '--intersect', '--gate', writeGate([{ metric: 'gqa.accuracy', maxDrop: -1 }])]);
    expect(badField.status).toBe(2);
    expect(badField.stderr).toMatch(/E_SCHEMA .*rules\.0\.maxDrop/);
  });

  it('renders the same comparison in every format', () => {
    const base = scoreRun('fmt-a', basePredictions);
    const other = { ...basePredictions };
    for (const id of Object.keys(other).slice(0, 40)) other[id] = records[id]!.answer;
    const cand = scoreRun('fmt-b', other);
    const json = compareOutputSchema.parse(JSON.parse(runCli(['compare', base, cand, '--json']).stdout));
    const md = runCli(['compare', base, cand, '--format', 'md']).stdout;
    const table = runCli(['compare', base, cand]).stdout;
    for (const row of json.comparison.rows.filter((r) => r.metric === 'gqa.accuracy' && !/^(detailed|steps|words)\//.test(r.category))) {
      const delta = `${row.delta! > 0 ? '+' : ''}${row.delta!.toFixed(2)}`;
      expect(md).toContain(`| gqa.accuracy | ${row.category} | ${row.n} | ${row.a!.toFixed(2)} | ${row.b!.toFixed(2)} | ${delta} |`);
      const cells = [row.category, String(row.n), row.a!.toFixed(4), row.b!.toFixed(4), delta].map(escapeRegExp);
      expect(table).toMatch(new RegExp(cells.join('\\s*│\\s*')));
    }
  });

  it('compares several candidates with one baseline, gating each', () => {
    const base = scoreRun('many-a', basePredictions);
    const better = { ...basePredictions };
    for (const id of Object.keys(better).slice(0, 60)) better[id] = records[id]!.answer;
    const worse = { ...basePredictions };
    for (const id of Object.keys(worse)
      .filter((id) => worse[id] === records[id]!.answer)
      .slice(0, 60))
      worse[id] = `${records[id]!.answer}-not`;
    const r = runCli(['compare', base, scoreRun('many-b', better), scoreRun('many-c', worse), '--gate', writeGate(GATE), '--json']);
    expect(r.status, r.stderr).toBe(3);
    const out = compareManyOutputSchema.parse(JSON.parse(r.stdout));
    expect(out.comparisons.map((c) => c.b.name)).toEqual(['many-b', 'many-c']);
    expect(out.gates!.map((g) => g.passed)).toEqual([true, false]);
    const overall = out.comparisons[0]!.rows.find((x) => x.metric === 'gqa.accuracy' && x.category === 'overall')!;
    expect(overall.adjustment).toEqual({ family: 'overall', method: 'holm', tests: 2 });
    const table = runCli(['compare', base, scoreRun('many-b2', better), scoreRun('many-c2', worse)]);
    expect(table.status).toBe(0);
    expect(table.stdout.match(/^compare gqa: A = many-a, B = many-[bc]2/gm)).toHaveLength(2);
  });

  it('plans from a pilot pair of runs how many images a study needs', () => {
    const base = scoreRun('plan-a', basePredictions);
    const other = { ...basePredictions };
    for (const id of Object.keys(other).slice(0, 80)) other[id] = records[id]!.answer;
    const cand = scoreRun('plan-b', other);
    const r = runCli(['plan', base, cand, '--delta', '2', '--metric', 'gqa.accuracy', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      rows: Array<{ category: string; images: number; imagesNeeded: number | null; detectableNow: number }>;
    };
    const overall = out.rows.find((x) => x.category === 'overall')!;
    // a pilot that finds only larger differences than 2 points asks for more images than it has
    expect(overall.detectableNow).toBeGreaterThan(2);
    expect(overall.imagesNeeded).toBeGreaterThan(overall.images);
    const table = runCli(['plan', base, cand, '--delta', '2']);
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/images for Δ 2/);
    const bad = runCli(['plan', base, cand, '--delta', '0']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/E_USAGE: --delta must be above 0/);
  });

  it('keeps the published JSON Schemas in step with the code', () => {
    for (const [name, schema] of Object.entries(publishedSchemas())) {
      expect(JSON.parse(readFileSync(path.join(ROOT, 'schemas', name), 'utf8'))).toEqual(JSON.parse(JSON.stringify(schema)));
    }
  });
});
