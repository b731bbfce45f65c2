import { describe, expect, it } from 'vitest';
import { gqaAccuracy, gqaConsistency, gqaDistribution, gqaPlausibility, gqaValidity } from '../../src/metrics/gqa.js';
import type { ScoredSample } from '../../src/metrics/types.js';

interface RowSpec {
  id: string;
  gold: string;
  pred: string;
  structural?: string;
  semantic?: string;
  detailed?: string;
  group?: string | null;
  entailed?: string[];
  balanced?: boolean;
  image?: string;
  steps?: number;
  words?: number;
}

function row(s: RowSpec): ScoredSample {
  return {
    id: s.id,
    group: s.image ?? 'img1',
    prediction: s.pred,
    answers: [s.gold],
    categories: { structural: s.structural ?? 'query', semantic: s.semantic ?? 'attr', detailed: s.detailed ?? 'queryColor' },
    extra: {
      isBalanced: s.balanced ?? true,
      entailed: s.entailed ?? [],
      globalGroup: s.group === undefined ? null : s.group,
      steps: s.steps ?? 2,
      words: s.words ?? 5,
    },
    scores: { correct: s.pred === s.gold ? 1 : 0 },
  };
}

const value = (vals: ReturnType<typeof gqaAccuracy.aggregate>, cat: string) => vals.find((v) => v.category === cat)?.value;

describe('GQA accuracy', () => {
  const rows = [
    row({ id: '1', gold: 'yes', pred: 'yes', structural: 'verify', semantic: 'obj', steps: 1, words: 4 }),
    row({ id: '2', gold: 'no', pred: 'yes', structural: 'verify', semantic: 'attr', steps: 2, words: 4 }),
    row({ id: '3', gold: 'red', pred: 'red', structural: 'query', semantic: 'attr', steps: 2, words: 6 }),
    row({ id: '4', gold: 'cat', pred: 'dog', structural: 'query', semantic: 'cat', steps: 3, words: 6 }),
    row({ id: '5', gold: 'left', pred: 'left', structural: 'choose', semantic: 'rel', steps: 3, words: 9 }),
    row({ id: '6', gold: 'yes', pred: 'no', structural: 'logical', semantic: 'obj', balanced: false }),
  ];
  const vals = gqaAccuracy.aggregate(rows);

  it('scores balanced questions only, with binary = not query', () => {
    expect(value(vals, 'overall')).toBeCloseTo(60, 10);
    expect(vals[0]!.n).toBe(5);
    expect(value(vals, 'binary')).toBeCloseTo(200 / 3, 10);
    expect(value(vals, 'open')).toBe(50);
    expect(value(vals, 'structural/logical')).toBeUndefined();
    expect(value(vals, 'semantic/attr')).toBe(50);
    expect(value(vals, 'steps/3')).toBe(50);
    expect(value(vals, 'words/4')).toBe(50);
    expect(value(vals, 'words/9')).toBe(100);
  });

  it('orders categories as GQA reports them', () => {
    expect(vals.slice(0, 3).map((v) => v.category)).toEqual(['overall', 'binary', 'open']);
    const i = (c: string) => vals.findIndex((v) => v.category === c);
    expect(i('structural/verify')).toBeLessThan(i('structural/query'));
    expect(i('semantic/obj')).toBeLessThan(i('semantic/attr'));
    expect(i('semantic/global') === -1 || i('semantic/cat') < i('semantic/global')).toBe(true);
    expect(i('steps/1')).toBeLessThan(i('words/4'));
  });

  it('adds an interval by image when images hold several questions, as wide as few images deserve', () => {
    const many = Array.from({ length: 40 }, (_, k) => row({ id: String(k), gold: 'a', pred: k % 3 ? 'a' : 'b', image: `img${k % 8}` }));
    const a = gqaAccuracy.aggregate(many)[0]!;
    expect(a.clusterInterval).toMatchObject({ method: 'cluster-wilson', clusters: 8 });
    expect(a.clusterInterval!.low).toBeLessThanOrEqual(a.value!);
    expect(a.clusterInterval!.high).toBeGreaterThanOrEqual(a.value!);
    // with t(7) it is at least as wide as the plain Wilson interval
    expect(a.clusterInterval!.high - a.clusterInterval!.low).toBeGreaterThanOrEqual(a.interval!.high - a.interval!.low);
  });

  it('gives one image no interval narrower than anything (the bootstrap gave a point: [83.3, 83.3])', () => {
    const one = Array.from({ length: 6 }, (_, k) => row({ id: String(k), gold: 'a', pred: k === 0 ? 'b' : 'a', image: 'img0' }));
    const v = gqaAccuracy.aggregate(one)[0]!;
    expect(v.value).toBeCloseTo(83.33, 2);
    expect(v.clusterInterval).toMatchObject({ low: 0, high: 100, clusters: 1 });
  });

  it('includes unbalanced questions only when asked', () => {
    expect(gqaAccuracy.aggregate(rows, { includeUnbalanced: true })[0]!.n).toBe(6);
  });
});

describe('GQA consistency', () => {
  it('averages, over correct questions with entailed ones, the accuracy on those', () => {
    const rows = [
      row({ id: 'a', gold: 'red', pred: 'red', entailed: ['b', 'c', 'a'] }), // entailed: b right, c wrong -> 0.5
      row({ id: 'b', gold: 'yes', pred: 'yes', entailed: ['a'] }), // a right -> 1
      row({ id: 'c', gold: 'no', pred: 'yes', entailed: ['a'] }), // wrong: not counted
      row({ id: 'd', gold: 'x', pred: 'x', entailed: [] }), // no entailed: not counted
    ];
    const [v] = gqaConsistency.aggregate(rows);
    expect(v!.value).toBeCloseTo(75, 10);
    expect(v!.n).toBe(2);
  });

  it('uses unbalanced entailed questions but is n/a when entailed questions were not evaluated', () => {
    const rows = [row({ id: 'a', gold: 'red', pred: 'red', entailed: ['b'] }), row({ id: 'b', gold: 'y', pred: 'n', balanced: false })];
    expect(gqaConsistency.aggregate(rows)[0]!.value).toBe(0);
    const [na] = gqaConsistency.aggregate([row({ id: 'a', gold: 'red', pred: 'red', entailed: ['zzz'] })]);
    expect(na!.value).toBeNull();
    expect(na!.note).toMatch(/n\/a: 1 entailed questions were not evaluated/);
  });

  it('is n/a when no correct question has entailed questions', () => {
    expect(gqaConsistency.aggregate([row({ id: 'a', gold: 'r', pred: 'x', entailed: ['a'] })])[0]!.value).toBeNull();
  });
});

describe('GQA validity and plausibility', () => {
  const rows = [
    row({ id: '1', gold: 'red', pred: 'red' }),
    row({ id: '2', gold: 'red', pred: 'car' }),
    row({ id: '3', gold: 'x', pred: 'shape', detailed: 'sameCommon' }),
  ];
  it('are n/a (never 0%) without a choices file', () => {
    for (const m of [gqaValidity, gqaPlausibility]) {
      const [v] = m.aggregate(rows);
      expect(v!.value).toBeNull();
      expect(v!.note).toMatch(/no choices file/);
    }
  });
  it('count predictions inside the valid/plausible sets, with the Common rule', () => {
    const choices = new Map([
      ['1', { valid: ['red', 'blue'], plausible: ['red'] }],
      ['2', { valid: ['red', 'blue'], plausible: ['red', 'car'] }],
      ['3', { valid: [], plausible: [] }],
    ]);
    expect(gqaValidity.aggregate(rows, { choices })[0]!.value).toBeCloseTo(200 / 3, 10);
    expect(gqaPlausibility.aggregate(rows, { choices })[0]!.value).toBe(100);
  });
});

describe('GQA distribution', () => {
  it('matches a hand-computed chi-square, skipping null groups', () => {
    // group g1 gold: a x2, b x1; predicted: a x1, b x1, c x1.
    // chi = (1-2)^2/2 + (1-1)^2/1 = 0.5, weighted by 3 -> 1.5
    // group g2 gold: z x1; predicted: z x1 -> 0, weighted by 1
    // average = 1.5 / 4 = 0.375, /100 = 0.00375
    const rows = [
      row({ id: '1', gold: 'a', pred: 'a', group: 'g1' }),
      row({ id: '2', gold: 'a', pred: 'c', group: 'g1' }),
      row({ id: '3', gold: 'b', pred: 'b', group: 'g1' }),
      row({ id: '4', gold: 'z', pred: 'z', group: 'g2' }),
      row({ id: '5', gold: 'q', pred: 'w', group: null }),
    ];
    const [v] = gqaDistribution.aggregate(rows);
    expect(v!.value).toBeCloseTo(0.00375, 12);
    expect(v!.n).toBe(4);
    expect(v!.higherIsBetter).toBe(false);
  });
});
