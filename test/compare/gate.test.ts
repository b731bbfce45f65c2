import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/compare/compare.js';
import { applyGate, loadGate, type Gate } from '../../src/compare/gate.js';
import type { XfError } from '../../src/lib/errors.js';
import { holm } from '../../src/metrics/paired.js';
import { tempDir } from '../helpers/paths.js';
import { items, syntheticRun } from './helpers.js';

const boot = { seed: 5, iterations: 300 };
const dir = tempDir('xfbench-gate-');

function gateFile(rules: object[]): string {
  const file = path.join(dir, `gate-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ rules }));
  return file;
}

const rule = (r: Partial<Gate['rules'][number]>, gate: Partial<Gate> = {}): Gate => ({
  rules: [{ metric: 'gqa.accuracy', category: 'overall', maxDrop: 1, ...r }],
  ...gate,
});

/** A run of `n` items on `images` images in which B loses `lost` answers A had right (spread over the first `lost` items). */
function pairWithLoss(n: number, images: number, lost: number) {
  const its = items(n, images);
  return {
    a: syntheticRun('A', its, (i) => i % 2 === 0 || i < 2 * lost),
    b: syntheticRun('B', its, (i) => i % 2 === 0),
  };
}

describe('gate: non-inferiority', () => {
  const many = items(6000, 3000);
  const a = syntheticRun('A', many, (i) => i % 2 === 0);
  // B: the same but for 200 answers broken and 200 fixed: Δ = 0 with a narrow interval
  const same = syntheticRun('B', many, (i) => (i < 400 ? i % 2 === 1 : i % 2 === 0));
  const few = items(40, 20);

  it('passes when the data rule out a drop of maxDrop or more', async () => {
    const c = await compareRuns(a, same, { signPatterns: boot });
    const g = applyGate(rule({ mode: 'non-inferiority', maxDrop: 1 }), c, 'gate.json');
    expect(g.passed).toBe(true);
    expect(g.checks[0]!.reason).toMatch(/ruled out, so non-inferior/);
    expect(g.checks[0]!.pAdjusted).toBeLessThan(0.05);
  });

  it('fails when too few items leave a larger drop possible, though the observed Δ is 0 and the max-drop rule passes', async () => {
    const c = await compareRuns(
      syntheticRun('A', few, (i) => i % 2 === 0),
      syntheticRun('B', few, (i) => (i < 4 ? i % 2 === 1 : i % 2 === 0)),
      { signPatterns: boot },
    );
    expect(c.rows.find((r) => r.category === 'overall')!.delta).toBe(0);
    expect(applyGate(rule({ maxDrop: 1 }), c, 'gate.json').passed).toBe(true);
    const g = applyGate(rule({ mode: 'non-inferiority', maxDrop: 1 }), c, 'gate.json');
    expect(g.passed).toBe(false);
    expect(g.checks[0]!.reason).toMatch(/non-inferiority is not shown/);
  });

  it.each([1, 3])(
    'never passes on %i image(s), however the questions fall (the old bootstrap interval had zero width on one)',
    async (images) => {
      // 6 questions per image; B loses one answer per image: a 16.7-point drop, allowed 20
      const its = items(6 * images, images);
      const c = await compareRuns(
        syntheticRun('A', its, () => true),
        syntheticRun('B', its, (i) => i % 6 !== 0),
        { signPatterns: boot },
      );
      const overall = c.rows.find((r) => r.category === 'overall')!;
      expect(overall.delta).toBeCloseTo(-16.67, 2);
      // the interval that inverts the test is unbounded: so few images rule nothing out
      expect(overall.deltaInterval).toMatchObject({ low: -Infinity, high: Infinity });
      expect(overall.verdict).toBe('too few images');
      for (const allowFew of [false, true]) {
        const g = applyGate(rule({ mode: 'non-inferiority', maxDrop: 20 }), c, 'gate.json', { allowFew });
        expect(g.checks[0]!.reason).toMatch(/too few images/);
        // with --allow-few the check is skipped, visibly, and never counted as non-inferior
        expect(g.checks[0]!.skipped ?? false).toBe(allowFew);
        expect(g.checks[0]!.reason).not.toMatch(/so non-inferior/);
      }
      // with the floor lowered, the test itself cannot show non-inferiority on so few images
      const lowered = await compareRuns(
        syntheticRun('A', its, () => true),
        syntheticRun('B', its, (i) => i % 6 !== 0),
        { signPatterns: boot, minImages: 1 },
      );
      expect(applyGate(rule({ mode: 'non-inferiority', maxDrop: 20 }), lowered, 'gate.json').passed).toBe(false);
    },
  );
});

describe('gate: runs that never disagree', () => {
  it('are not non-inferior at a margin their questions cannot vouch for (the sign-flip test alone passed them at any margin)', async () => {
    // 60 questions on 20 images, answered identically: a 1-point margin needs far more questions
    const its = items(60, 20);
    const same = (name: string) => syntheticRun(name, its, (i) => i % 3 !== 0);
    const c = await compareRuns(same('A'), same('B'), { signPatterns: boot });
    const overall = c.rows.find((r) => r.category === 'overall')!;
    expect(overall.deltaInterval!.low).toBeLessThan(-1);
    expect(overall.deltaInterval!.high).toBeGreaterThan(1);
    expect(overall.verdict).toBe('inconclusive');
    expect(applyGate(rule({ mode: 'non-inferiority', maxDrop: 1 }), c, 'gate.json').passed).toBe(false);
    // a margin of 20 points is within what 60 questions can show
    expect(applyGate(rule({ mode: 'non-inferiority', maxDrop: 20 }), c, 'gate.json').passed).toBe(true);
  });
});

describe('gate: max-drop fails on a drop shown beyond maxDrop, not on noise', () => {
  it('passes a 2.5-point observed drop on a maxDrop-2 rule when the data cannot show more than 2 (the old rule failed it)', async () => {
    const { a, b } = pairWithLoss(2000, 200, 50);
    const c = await compareRuns(a, b, { signPatterns: boot });
    const g = applyGate(rule({ maxDrop: 2 }), c, 'gate.json');
    expect(g.checks[0]!.drop).toBeCloseTo(2.5, 6);
    expect(g.passed).toBe(true);
    expect(g.checks[0]!.reason).toMatch(/a drop beyond 2 is not shown/);
    // the old point-estimate rule, still there on request, fails it
    expect(applyGate(rule({ maxDrop: 2, mode: 'observed' }), c, 'gate.json').passed).toBe(false);
  });

  it('fails a drop far beyond maxDrop', async () => {
    const { a, b } = pairWithLoss(2000, 200, 200);
    const c = await compareRuns(a, b, { signPatterns: boot });
    const g = applyGate(rule({ maxDrop: 2 }), c, 'gate.json');
    expect(g.checks[0]!.drop).toBeCloseTo(10, 6);
    expect(g.passed).toBe(false);
    expect(g.checks[0]!.reason).toMatch(/a drop beyond 2 is shown/);
  });

  it("adjusts every check of the gate with one Holm family at the gate's α", async () => {
    const { a, b } = pairWithLoss(2000, 200, 200);
    const c = await compareRuns(a, b, { signPatterns: boot });
    const g = applyGate(
      {
        alpha: 0.01,
        rules: [
          { metric: 'gqa.accuracy', category: 'overall', maxDrop: 2 },
          { metric: 'gqa.accuracy', category: 'structural/*', maxDrop: 2 },
        ],
      },
      c,
      'gate.json',
    );
    expect(g.alpha).toBe(0.01);
    expect(g.checks).toHaveLength(6);
    expect(g.checks.map((x) => x.pAdjusted)).toEqual(holm(g.checks.map((x) => x.p!)));
  });

  it('fails a rule on a category with too few images, or skips it visibly with --allow-few', async () => {
    const { a, b } = pairWithLoss(40, 8, 0);
    const c = await compareRuns(a, b, { signPatterns: boot });
    expect(c.minImages).toBe(10);
    const failed = applyGate(rule({ maxDrop: 2 }), c, 'gate.json');
    expect(failed.passed).toBe(false);
    expect(failed.checks[0]!.reason).toMatch(/too few images for a verdict \(8 < 10/);
    const skipped = applyGate(rule({ maxDrop: 2 }), c, 'gate.json', { allowFew: true });
    expect(skipped.passed).toBe(true);
    expect(skipped.checks[0]).toMatchObject({ skipped: true, images: 8 });
  });

  it('fails a candidate that lacks items of the baseline, unless that is allowed', async () => {
    const its = items(2000, 200);
    const a = syntheticRun('A', its, (i) => i % 2 === 0);
    const b = syntheticRun('B', its, (i) => i % 2 === 0);
    b.rows = b.rows.slice(0, 1800); // the candidate lost its hardest 200 items
    const c = await compareRuns(a, b, { signPatterns: boot, intersect: true });
    const g = applyGate(rule({ maxDrop: 1 }), c, 'gate.json');
    expect(g.passed).toBe(false);
    expect(g.checks.find((x) => x.metric === '(items)')!.reason).toMatch(/lacks 200 of the baseline's 2000 items/);
    expect(applyGate(rule({ maxDrop: 1 }), c, 'gate.json', { allowMissing: true }).passed).toBe(true);
    expect(applyGate(rule({ maxDrop: 1 }, { allowMissingItems: true }), c, 'gate.json').passed).toBe(true);
  });
});

describe('gate: rules that cannot be applied are refused when the file is read', () => {
  it.each([
    ['max-drop on a metric tested only for no change', { metric: 'gqa.consistency', maxDrop: 1 }, /only a test of no change/],
    ['non-inferiority on a root-mean metric', { metric: 'gvtbench.oc.rmse', maxDrop: 0.1, mode: 'non-inferiority' }, /no paired test/],
    ['any rule on a descriptive metric', { metric: 'pope.yes-ratio', maxDrop: 5, mode: 'observed' }, /descriptive/],
  ])('%s', async (_what, r, message) => {
    const err = (await loadGate(gateFile([r])).catch((e: unknown) => e)) as XfError;
    expect(err.code).toBe('E_GATE_UNTESTABLE');
    expect(err.field).toBe('rules[0]');
    expect(err.message).toMatch(message);
  });

  it('accepts an observed-value rule on an untested metric', async () => {
    const gate = await loadGate(gateFile([{ metric: 'gqa.consistency', maxDrop: 1, mode: 'observed' }]));
    expect(gate.rules).toEqual([expect.objectContaining({ metric: 'gqa.consistency', maxDrop: 1, mode: 'observed' })]);
  });

  it('refuses the removed requireSignificant, so an old gate never changes meaning silently', async () => {
    const err = (await loadGate(gateFile([{ metric: 'gqa.accuracy', maxDrop: 1, requireSignificant: true }])).catch(
      (e: unknown) => e,
    )) as XfError;
    expect(err.code).toBe('E_GATE_OBSOLETE');
    expect(err.field).toBe('rules[0].requireSignificant');
    expect(err.suggestion).toMatch(/"mode": "observed"/);
  });
});
