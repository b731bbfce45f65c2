import { describe, expect, it } from 'vitest';
import { countBin, mciAccuracy, mciCorrect, objectBin, ocAccuracy, ocMae, ocRmse, parseCount } from '../../src/metrics/gvtbench.js';
import type { Sample } from '../../src/datasets/types.js';
import type { ScoredSample } from '../../src/metrics/types.js';

describe('GVTBench count parsing (the reference scorer, quirks included)', () => {
  it.each([
    ['3', 3],
    ['There are 12 people.', 12],
    ['three', 3],
    ['none', 0],
    ['no people', 0],
    ['nine', 0], // the reference's "nive" typo leaves "nine" unconverted
    ['ten', 0],
    ['eleven', 0], // number words beyond nine are not numbers to it
    ['eighteen', 8], // substring replacement: "eight" inside "eighteen"
    ['someone is there, two more', 1], // "someone" becomes "some1", and the first digits win
    ['I see seven or 8', 7],
  ])('%s -> %d', (text, count) => {
    expect(parseCount(text)).toBe(count);
  });

  it('bins gold counts by gold // 3', () => {
    expect([0, 2, 3, 5, 6, 9, 11].map(countBin)).toEqual(['0~3', '0~3', '3~6', '3~6', '6~9', '9~12', '9~12']);
    expect([1, 9, 10, 19, 20, 55].map(objectBin)).toEqual(['1-9', '1-9', '10-19', '10-19', '>=20', '>=20']);
  });
});

describe('GVTBench identification', () => {
  it.each([
    ['Yes.', 'Yes, there is a cup.', true],
    ['Yes.', 'yes', true],
    ['Yes.', 'No', false],
    ['No.', 'no', true],
    ['No.', 'There is not one', true],
    ['No.', "I don't know", true],
    ['No.', 'Yes', false],
  ])('gold %s, prediction %s -> %s', (gold, pred, ok) => {
    expect(mciCorrect(gold, pred)).toBe(ok);
  });
});

function sample(subset: string, gold: string, n = 5): Sample {
  const [source, task] = subset.split('_');
  return {
    id: `${subset}:${gold}`,
    imageId: '1',
    imagePath: '/x',
    question: 'q',
    answers: [gold],
    categories: { subset, task: task!, source: source! },
    group: `${source}:1`,
    extra: { nObjExist: n },
  };
}

function scored(s: Sample, prediction: string): ScoredSample {
  const scores = { ...ocAccuracy.score(s, prediction), ...mciAccuracy.score(s, prediction) };
  return { id: s.id, group: s.group, categories: s.categories, extra: s.extra, prediction, answers: s.answers, scores };
}

describe('GVTBench aggregation', () => {
  const rows = [
    scored(sample('coco_oc', '2'), 'two'), // right, error 0
    scored(sample('coco_oc', '4'), '1'), // error 3
    scored(sample('vcr_oc', '7'), '9'), // error 2
    scored(sample('coco_mci', 'Yes.', 3), 'yes'),
    scored(sample('coco_mci', 'No.', 25), 'yes'),
  ];
  it('computes accuracy, MAE and RMSE over counting questions only', () => {
    const acc = ocAccuracy.aggregate(rows);
    expect(acc[0]).toMatchObject({ category: 'overall', n: 3 });
    expect(acc[0]!.value).toBeCloseTo(100 / 3, 10);
    expect(acc.find((v) => v.category === 'coco_oc/gold 3~6')!.value).toBe(0);
    const mae = ocMae.aggregate(rows);
    expect(mae[0]!.value).toBeCloseTo(5 / 3, 10);
    expect(mae[0]!.higherIsBetter).toBe(false);
    expect(ocRmse.aggregate(rows)[0]!.value).toBeCloseTo(Math.sqrt(13 / 3), 10);
  });
  it('computes MCI accuracy per number-of-objects bin', () => {
    const mci = mciAccuracy.aggregate(rows);
    expect(mci[0]).toMatchObject({ category: 'overall', n: 2, value: 50 });
    expect(mci.find((v) => v.category === 'coco_mci/objects >=20')!.value).toBe(0);
    expect(mci.find((v) => v.category === 'coco_mci/objects 1-9')!.value).toBe(100);
  });
  it('reports n/a-free empty results when a task is absent', () => {
    const only = rows.filter((r) => r.categories['task'] === 'mci');
    expect(ocAccuracy.aggregate(only)[0]).toMatchObject({ n: 0, value: null });
  });
});
