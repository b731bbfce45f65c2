import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/compare/compare.js';
import { applyGate, loadGate, type Gate } from '../../src/compare/gate.js';
import type { XfError } from '../../src/lib/errors.js';
import { tempDir } from '../helpers/paths.js';
import { items, syntheticRun } from './helpers.js';

const boot = { seed: 5, iterations: 300 };
const dir = tempDir('xfbench-gate-');

function gateFile(rules: object[]): string {
  const file = path.join(dir, `gate-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ rules }));
  return file;
}

const rule = (r: Partial<Gate['rules'][number]>): Gate => ({
  requireSignificant: false,
  rules: [{ metric: 'gqa.accuracy', category: 'overall', maxDrop: 1, ...r }],
});

describe('gate: non-inferiority', () => {
  const many = items(6000, 3000);
  const a = syntheticRun('A', many, (i) => i % 2 === 0);
  // B: the same but for 200 answers broken and 200 fixed: Δ = 0 with a narrow interval
  const same = syntheticRun('B', many, (i) => (i < 400 ? i % 2 === 1 : i % 2 === 0));
  const few = items(40, 20);

  it('passes when the interval rules out a drop beyond maxDrop', async () => {
    const c = await compareRuns(a, same, { bootstrap: boot });
    const g = applyGate(rule({ mode: 'non-inferiority', maxDrop: 1 }), c, 'gate.json');
    expect(g.passed).toBe(true);
    expect(g.checks[0]!.reason).toMatch(/within the 95% interval, so non-inferior/);
  });

  it('fails when too few items leave a larger drop possible, though the observed Δ is 0 and the max-drop rule passes', async () => {
    const c = await compareRuns(
      syntheticRun('A', few, (i) => i % 2 === 0),
      syntheticRun('B', few, (i) => (i < 4 ? i % 2 === 1 : i % 2 === 0)),
      { bootstrap: boot },
    );
    expect(c.rows.find((r) => r.category === 'overall')!.delta).toBe(0);
    expect(applyGate(rule({ maxDrop: 1 }), c, 'gate.json').passed).toBe(true);
    const g = applyGate(rule({ mode: 'non-inferiority', maxDrop: 1 }), c, 'gate.json');
    expect(g.passed).toBe(false);
    expect(g.checks[0]!.reason).toMatch(/non-inferiority is not shown/);
  });
});

describe('gate: rules that cannot be applied are refused when the file is read', () => {
  it.each([
    [
      'requireSignificant on a metric without a paired test',
      { metric: 'gqa.consistency', maxDrop: 1, requireSignificant: true },
      /no paired test/,
    ],
    ['non-inferiority on a root-mean metric', { metric: 'gvtbench.oc.rmse', maxDrop: 0.1, mode: 'non-inferiority' }, /no paired interval/],
    ['any rule on a descriptive metric', { metric: 'pope.yes-ratio', maxDrop: 5 }, /descriptive/],
  ])('%s', async (_what, r, message) => {
    const err = (await loadGate(gateFile([r])).catch((e: unknown) => e)) as XfError;
    expect(err.code).toBe('E_GATE_UNTESTABLE');
    expect(err.field).toBe('rules[0]');
    expect(err.message).toMatch(message);
  });

  it('accepts a plain max-drop rule on an untested metric, as before', async () => {
    const gate = await loadGate(gateFile([{ metric: 'gqa.consistency', maxDrop: 1 }]));
    expect(gate.rules).toEqual([expect.objectContaining({ metric: 'gqa.consistency', maxDrop: 1 })]);
    expect(gate.rules[0]!.mode ?? 'max-drop').toBe('max-drop');
  });
});
