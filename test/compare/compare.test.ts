import { describe, expect, it } from 'vitest';
import { compareRuns, compareWithBaseline } from '../../src/compare/compare.js';
import { holm } from '../../src/metrics/paired.js';
import { popeAccuracy } from '../../src/metrics/pope.js';
import type { XfError } from '../../src/lib/errors.js';
import { items, syntheticRun } from './helpers.js';

const boot = { seed: 5, iterations: 300 };

describe('compare: which test, which adjustment', () => {
  const set = items(600, 60);
  // B fixes every third wrong answer of A's; A is wrong on every other item
  const a = syntheticRun('A', set, (i) => i % 2 === 0);
  const b = syntheticRun('B', set, (i) => i % 2 === 0 || i % 3 === 0);

  it('gives the same comparison whether the runs line up (one streaming pass each) or must be paired by id', async () => {
    const aligned = await compareRuns(a, b, { signPatterns: boot });
    // B's questions in another order: compare notices at the first one and pairs by id instead
    const shuffled = { ...b, rows: [...b.rows].reverse() };
    const byId = await compareRuns(a, shuffled, { signPatterns: boot });
    expect(byId.rows).toEqual(aligned.rows);
    expect(byId.items).toEqual(aligned.items);
    // a question B lacks is refused, or left out with --intersect
    const short = { ...b, rows: b.rows.slice(1) };
    await expect(compareRuns(a, short, { signPatterns: boot })).rejects.toMatchObject({ code: 'E_ITEMS_DIFFER' });
    expect((await compareRuns(a, short, { signPatterns: boot, intersect: true })).items).toEqual({
      compared: a.rows.length - 1,
      onlyInA: 1,
      onlyInB: 0,
    });
  });

  it('tests the overall row alone, at α, and adjusts the others by Holm within their family', async () => {
    const c = await compareRuns(a, b, { signPatterns: boot });
    const acc = c.rows.filter((r) => r.metric === 'gqa.accuracy');
    const overall = acc.find((r) => r.category === 'overall')!;
    expect(overall.adjustment).toEqual({ family: 'overall', method: 'none', tests: 1 });
    expect(overall.pAdjusted).toBe(overall.test!.p);
    const structural = acc.filter((r) => r.category.startsWith('structural/'));
    expect(structural).toHaveLength(5);
    const adjusted = holm(structural.map((r) => r.test!.p));
    structural.forEach((r, i) => {
      expect(r.adjustment).toEqual({ family: 'structural', method: 'holm', tests: 5 });
      expect(r.pAdjusted).toBe(adjusted[i]);
    });
    expect(acc.find((r) => r.category === 'semantic/attr')!.adjustment).toEqual({ family: 'semantic', method: 'holm', tests: 2 });
    expect(acc.find((r) => r.category === 'binary')!.adjustment!.family).toBe('answer');
  });

  it('uses the sign-flip test over images when images hold several questions, McNemar when each holds one', async () => {
    const clustered = await compareRuns(a, b, { signPatterns: boot });
    expect(clustered.rows.find((r) => r.category === 'overall')!.test!.method).toMatch(/^sign-flip-/);
    const single = items(600, 600);
    const c = await compareRuns(
      syntheticRun('A', single, (i) => i % 2 === 0),
      syntheticRun('B', single, (i) => i % 2 === 0 || i % 3 === 0),
      { signPatterns: boot },
    );
    expect(c.rows.find((r) => r.category === 'overall')!.test!.method).toBe('mcnemar-exact');
    expect(c.rows.find((r) => r.category === 'structural/verify')!.test!.method).toBe('mcnemar-exact');
  });

  it('calls a clear gain better, a tight null no change, and a wide null inconclusive', async () => {
    const c = await compareRuns(a, b, { signPatterns: boot });
    expect(c.rows.find((r) => r.category === 'overall')!.verdict).toBe('better');
    // 3,000 images of two questions; B breaks one answer on 200 images and fixes one on 200 others:
    // Δ = 0, with an interval well inside ±1 point
    const many = items(6000, 3000);
    const x = syntheticRun('X', many, (i) => i % 2 === 0);
    const y = syntheticRun('Y', many, (i) => (i < 400 ? i % 2 === 1 : i % 2 === 0));
    const flat = await compareRuns(x, y, { signPatterns: boot });
    expect(flat.rows.find((r) => r.category === 'overall')!.verdict).toBe('no change');
    // few items, a real but small difference: the interval spans more than ±1 point
    const few = items(40, 20);
    const wide = await compareRuns(
      syntheticRun('P', few, (i) => i % 2 === 0),
      syntheticRun('Q', few, (i) => i % 2 === 0 || i === 1),
      { signPatterns: boot },
    );
    const row = wide.rows.find((r) => r.category === 'overall')!;
    expect(row.verdict).toBe('inconclusive');
    expect(row.minimumDetectableEffect).toBeGreaterThan(row.delta!);
  });

  it('refuses runs scored with different settings, and marks a raw-vs-normalised comparison', async () => {
    const other = syntheticRun('B', set, (i) => i % 2 === 0, { allQuestions: true });
    const err = (await compareRuns(a, other).catch((e: unknown) => e)) as XfError;
    expect(err.code).toBe('E_SETTINGS_DIFFER');
    expect(err.field).toBe('config.allQuestions');
    const raw = await compareRuns(
      a,
      syntheticRun('B', set, (i) => i % 2 === 0, { raw: true }),
      { signPatterns: boot },
    );
    expect(raw.notes).toEqual(["A's answers were scored normalised, B's raw (--raw)"]);
  });

  it('marks runs made on different execution providers', async () => {
    const on = (used: string) => {
      const run = syntheticRun('B', set, (i) => i % 2 === 0 || i % 3 === 0);
      run.record.provider = { requested: used, used };
      return run;
    };
    const cpu = { ...a, record: { ...a.record, provider: { requested: 'cpu', used: 'cpu' } } };
    expect((await compareRuns(cpu, on('cuda'), { signPatterns: boot })).notes).toEqual([
      "A ran on cpu, B on cuda: answers can differ by the device's arithmetic alone (docs/cuda.md)",
    ]);
    expect((await compareRuns(cpu, on('cpu'), { signPatterns: boot })).notes).toEqual([]);
  });
});

describe('compare: what the runs recorded', () => {
  it('never calls a descriptive metric better or worse', async () => {
    const run = (name: string, saysYes: (i: number) => boolean) => {
      const base = syntheticRun(name, items(400, 400), () => true, { metrics: ['pope.yes-ratio'] });
      base.rows.forEach((r, i) => {
        r.categories = { split: 'random' };
        r.answers = [i % 2 ? 'yes' : 'no'];
        r.prediction = saysYes(i) ? 'yes' : 'no';
        r.scores = popeAccuracy.score({ ...r, imagePath: '' }, r.prediction);
      });
      base.record.dataset.id = 'pope';
      base.record.metrics = [{ metric: 'pope.yes-ratio', category: 'overall', value: 0, n: 400, higherIsBetter: false }];
      return base;
    };
    const c = await compareRuns(
      run('A', (i) => i % 2 === 0),
      run('B', (i) => i % 5 !== 0),
      { signPatterns: boot },
    );
    const overall = c.rows.find((r) => r.category === 'overall')!;
    expect(overall.significant).toBe(true);
    expect(overall.verdict).toBe('changed');
  });

  it("scores validity and plausibility with the runs' own choices file", async () => {
    const { writeFileSync } = await import('node:fs');
    const path = await import('node:path');
    const { tempDir } = await import('../helpers/paths.js');
    const dir = tempDir('xfbench-choices-');
    const choices = path.join(dir, 'choices.json');
    const ids = ['0', '1', '2', '3', '4', '5'];
    writeFileSync(choices, JSON.stringify(Object.fromEntries(ids.map((id) => [id, { valid: ['yes', 'no'], plausible: ['yes'] }]))));
    const few = items(6, 3);
    const run = (name: string, right: (i: number) => boolean) => {
      const r = syntheticRun(name, few, right, { choices, metrics: ['gqa.accuracy', 'gqa.validity'] });
      r.record.metrics.push({ metric: 'gqa.validity', category: 'overall', value: 0, n: 6, higherIsBetter: true });
      return r;
    };
    const c = await compareRuns(
      run('A', () => true),
      run('B', (i) => i > 0),
      { signPatterns: boot },
    );
    const validity = c.rows.find((r) => r.metric === 'gqa.validity')!;
    expect(validity.a).toBe(100);
    expect(validity.b).toBe(100); // "no" is valid too
  });
});

describe('compare: several candidates against one baseline', () => {
  it('adjusts each family across every candidate, the overall rows included', async () => {
    const set = items(600, 60);
    const a = syntheticRun('A', set, (i) => i % 2 === 0);
    const b = syntheticRun('B', set, (i) => i % 2 === 0 || i % 3 === 0);
    const c = syntheticRun('C', set, (i) => i % 2 === 0 || i % 7 === 0);
    const [vsB, vsC] = await compareWithBaseline(a, [b, c], { signPatterns: boot });
    const overall = [vsB!, vsC!].map((x) => x.rows.find((r) => r.category === 'overall')!);
    expect(overall.map((r) => r.adjustment)).toEqual([
      { family: 'overall', method: 'holm', tests: 2 },
      { family: 'overall', method: 'holm', tests: 2 },
    ]);
    expect(overall.map((r) => r.pAdjusted)).toEqual(holm(overall.map((r) => r.test!.p)));
    expect(vsC!.rows.find((r) => r.category === 'structural/verify')!.adjustment!.tests).toBe(10);
    // alone, B's rows are adjusted over its own families only
    const alone = await compareRuns(a, b, { signPatterns: boot });
    expect(alone.rows.find((r) => r.category === 'structural/verify')!.adjustment!.tests).toBe(5);
  });
});

describe('compare: one source of truth for correctness', () => {
  it('refuses a run whose stored scores disagree with its predictions', async () => {
    const set = items(60, 20);
    const a = syntheticRun('A', set, (i) => i % 2 === 0);
    const b = syntheticRun('B', set, (i) => i % 3 === 0);
    b.rows[3]!.prediction = 'no'; // edited by hand: the stored score still says right
    const err = (await compareRuns(a, b).catch((e: unknown) => e)) as XfError;
    expect(err.code).toBe('E_RUN_CORRUPT');
    expect(err.message).toMatch(/line 4 \(question 3\) stores correct = 1, but its prediction "no" scores 0/);
  });
});
