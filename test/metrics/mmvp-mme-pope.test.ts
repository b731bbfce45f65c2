import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../src/datasets/mmvp.js';
import { mmeAccuracy, mmeLabel, mmeScore } from '../../src/metrics/mme.js';
import { extractOptionLetter, mmvpAccuracy, mmvpCorrect, mmvpPairAccuracy } from '../../src/metrics/mmvp.js';
import { popeAccuracy, popeF1, popeLabel, popePrecision, popeRecall, popeYesRatio } from '../../src/metrics/pope.js';
import type { ScoredSample } from '../../src/metrics/types.js';

function row(id: string, group: string, categories: Record<string, string>, scores: Record<string, number>): ScoredSample {
  return { id, group, categories, extra: {}, prediction: '', answers: [], scores };
}

describe('MMVP', () => {
  it('parses options and accepts the letter or the option text', () => {
    expect(parseOptions('(a) Open (b) Closed')).toEqual({ a: 'Open', b: 'Closed' });
    expect(parseOptions('(a) Yes (b) No')).toEqual({ a: 'Yes', b: 'No' });
    const options = { a: 'Open', b: 'Closed' };
    expect(mmvpCorrect('(a)', 'a', options)).toBe(true);
    expect(mmvpCorrect('a', 'a', options)).toBe(true);
    expect(mmvpCorrect('(b) closed', 'a', options)).toBe(false);
    expect(mmvpCorrect('open.', 'a', options)).toBe(true);
    expect(mmvpCorrect('closed', 'a', options)).toBe(false);
  });
  it("extracts the letter as lmms-eval's MMVP task does", () => {
    const options = { a: 'Open', b: 'Closed' };
    expect(extractOptionLetter('The answer is B')).toBe('b');
    expect(extractOptionLetter('Option (a), because…')).toBe('a');
    expect(extractOptionLetter('B.')).toBe('b');
    expect(extractOptionLetter('I think it is not sure')).toBe('');
    // its standalone-letter pattern reads an article "a" as option A
    expect(mmvpCorrect('It is a door', 'a', options)).toBe(true);
    // while an option's own text is that option, even when it starts with the other letter
    expect(mmvpCorrect('bright', 'b', { a: 'bright', b: 'dim' })).toBe(false);
    expect(mmvpCorrect('bright', 'a', { a: 'bright', b: 'dim' })).toBe(true);
  });
  it('counts a pair only when both questions are right, ignoring incomplete pairs', () => {
    const rows = [
      row('1', 'pair 1', {}, { mmvpCorrect: 1 }),
      row('2', 'pair 1', {}, { mmvpCorrect: 1 }),
      row('3', 'pair 2', {}, { mmvpCorrect: 1 }),
      row('4', 'pair 2', {}, { mmvpCorrect: 0 }),
      row('5', 'pair 3', {}, { mmvpCorrect: 1 }),
    ];
    expect(mmvpPairAccuracy.aggregate(rows)[0]).toMatchObject({ value: 50, n: 2 });
    expect(mmvpPairAccuracy.aggregate([rows[4]!])[0]!.value).toBeNull();
  });
});

describe('MME', () => {
  it('parses answers as the reference does', () => {
    expect(mmeLabel('Yes.')).toBe('yes');
    expect(mmeLabel('No, there is not')).toBe('no');
    expect(mmeLabel('There is a cat')).toBe('other');
    expect(mmeLabel('yes, it is')).toBe('yes');
    // no period is dropped: "n.o" is neither an exact answer nor has "no" in its first four characters
    expect(mmeLabel('n.o')).toBe('other');
    expect(mmeLabel('Not sure')).toBe('no'); // "not " holds "no"
  });
  const s = (q: string, img: string, task: string, ok: number) => row(q, `${task}/${img}`, { subtask: task }, { mmeCorrect: ok });
  it('scores acc + acc+ per subtask and sums the perception subtasks', () => {
    const rows = [
      s('1', 'a', 'color', 1),
      s('2', 'a', 'color', 1), // image a: both right
      s('3', 'b', 'color', 1),
      s('4', 'b', 'color', 0), // image b: one right
      s('5', 'c', 'count', 0),
      s('6', 'c', 'count', 0),
    ];
    const vals = mmeScore.aggregate(rows);
    // color: acc 75, acc+ 50 -> 125; count: 0 -> total 125
    expect(vals.find((v) => v.category === 'subtask/color')!.value).toBeCloseTo(125, 10);
    expect(vals[0]).toMatchObject({ category: 'overall', value: 125 });
    expect(vals.find((v) => v.category === 'perception')!.value).toBe(125);
    expect(mmeAccuracy.aggregate(rows)[0]!.value).toBe(50);
  });
  it('counts only images with both questions in acc+', () => {
    // image a: two right; image b: only one question, wrong. acc 2/3, acc+ over image a alone: 100
    const vals = mmeScore.aggregate([s('1', 'a', 'color', 1), s('2', 'a', 'color', 1), s('3', 'b', 'color', 0)]);
    expect(vals.find((v) => v.category === 'subtask/color')!.value).toBeCloseTo(200 / 3 + 100, 10);
    expect(vals.find((v) => v.category === 'subtask/color')!.note).toMatch(/1 image without two questions left out of acc\+/);
  });
  it('keeps cognition out of the perception total, and reports it apart', () => {
    const vals = mmeScore.aggregate([
      s('1', 'a', 'color', 1),
      s('2', 'a', 'color', 1),
      s('3', 'b', 'code_reasoning', 1),
      s('4', 'b', 'code_reasoning', 0),
    ]);
    expect(vals.find((v) => v.category === 'overall')!.value).toBe(200);
    expect(vals.find((v) => v.category === 'perception')!.value).toBe(200);
    expect(vals.find((v) => v.category === 'cognition')!.value).toBe(50);
  });
});

describe('POPE', () => {
  it('parses answers as the reference does', () => {
    expect(popeLabel('No, there is no cup.')).toBe('no');
    expect(popeLabel('There is not a cup')).toBe('no');
    expect(popeLabel('Yes. No doubt.')).toBe('yes'); // only the first sentence counts
    expect(popeLabel('Nope')).toBe('yes');
  });
  it('computes accuracy, precision, recall, F1 and the yes ratio', () => {
    const p = (id: string, said: number, truth: number) =>
      row(id, id, { split: 'random' }, { popeSaidYes: said, popeTruthYes: truth, popeCorrect: said === truth ? 1 : 0 });
    const rows = [p('1', 1, 1), p('2', 1, 1), p('3', 1, 0), p('4', 0, 1), p('5', 0, 0)];
    // tp 2, fp 1, fn 1, tn 1
    expect(popeAccuracy.aggregate(rows)[0]!.value).toBe(60);
    expect(popePrecision.aggregate(rows)[0]!.value).toBeCloseTo(200 / 3, 10);
    expect(popeRecall.aggregate(rows)[0]!.value).toBeCloseTo(200 / 3, 10);
    expect(popeF1.aggregate(rows)[0]!.value).toBeCloseTo(200 / 3, 10);
    expect(popeYesRatio.aggregate(rows)[0]!.value).toBe(60);
    expect(popePrecision.aggregate([p('9', 0, 0)])[0]!.value).toBeNull();
  });
});

describe('intervals by image for POPE and by pair for MMVP (they had none)', () => {
  it('gives POPE accuracy an interval by image when an image holds several questions', () => {
    const rows = Array.from({ length: 36 }, (_, i) =>
      row(String(i), `img${i % 6}`, { split: 'random' }, { popeSaidYes: 1, popeTruthYes: i % 4 ? 1 : 0, popeCorrect: i % 4 ? 1 : 0 }),
    );
    const v = popeAccuracy.aggregate(rows)[0]!;
    expect(v.clusterInterval).toMatchObject({ method: 'cluster-wilson', clusters: 6 });
    expect(v.clusterInterval!.low).toBeLessThan(v.value!);
  });

  it('gives MMVP question accuracy an interval by pair', () => {
    const rows = Array.from({ length: 20 }, (_, i) => row(String(i), `pair${i >> 1}`, {}, { mmvpCorrect: i % 3 ? 1 : 0 }));
    expect(mmvpAccuracy.aggregate(rows)[0]!.clusterInterval).toMatchObject({ method: 'cluster-wilson', clusters: 10 });
  });
});
