import { describe, expect, it } from 'vitest';
import { processDigitArticle, processPunctuation, vqaAccuracy, vqaAccuracyMetric } from '../../src/metrics/vqa.js';

describe('VQA answer normalisation, as the official vqaEval.py does it', () => {
  it('handles punctuation, number words, articles and the contractions of its table', () => {
    expect(processDigitArticle(processPunctuation('Two.'))).toBe('2');
    expect(processDigitArticle(processPunctuation('the dog'))).toBe('dog');
    expect(processDigitArticle(processPunctuation('isnt'))).toBe("isn't");
    expect(processDigitArticle(processPunctuation("couldn'tve"))).toBe("couldn't've");
    expect(processPunctuation('1,000')).toBe('1000'); // comma between digits: removed
    expect(processPunctuation('red,blue')).toBe('red blue');
    expect(processPunctuation('3.5')).toBe('3.5'); // a decimal point stays
    expect(processDigitArticle('Yes')).toBe('yes');
  });

  it('uses the fixed contraction table: spellings it lacks stay, and its own oddities apply', () => {
    // a generated table would rewrite these; the official one has no such keys
    for (const w of ['its', 'were', 'well', 'lets', 'couldntve']) expect(processDigitArticle(w)).toBe(w);
    // its capitalised keys ("Im", "Ive") never match the lowercased words
    expect(processDigitArticle('Im')).toBe('im');
    // and one entry runs backwards
    expect(processDigitArticle("somebody'd")).toBe('somebodyd');
  });

  it("drops every period not followed by a digit, even after one: the regex's (?!<=\\d) is a lookahead", () => {
    expect(processPunctuation('2.')).toBe('2');
    expect(processPunctuation('2. ,')).toBe('2 ');
  });

  it('removes at most 32 periods: re.UNICODE is passed where sub() takes its count', () => {
    expect(processPunctuation(`${'.'.repeat(40)}yes`)).toBe(`${'.'.repeat(8)}yes`);
  });

  it("splits and strips on Python's whitespace, not JavaScript's", () => {
    expect(processDigitArticle('red\x1cblue')).toBe('red blue'); // U+001C is whitespace to Python
    expect(vqaAccuracy('yes\ufeff', Array(10).fill('yes'))).toBe(0); // U+FEFF is not: the answer keeps it
  });
});

describe('VQA accuracy', () => {
  it('is 1 when at least four humans agree (three in every leave-one-out subset)', () => {
    expect(vqaAccuracy('2', Array(10).fill('2'))).toBe(1);
    expect(vqaAccuracy('2', ['2', '2', '2', '2', 'x', 'x', 'x', 'x', 'x', 'x'])).toBe(1);
  });
  it('averages min(matches/3, 1) over the ten subsets', () => {
    // two "yes": leaving out a yes gives 1/3 (twice), leaving out a no gives 2/3 (eight times)
    expect(vqaAccuracy('yes', ['yes', 'yes', ...Array(8).fill('no')])).toBeCloseTo(0.6, 12);
    expect(vqaAccuracy('maybe', Array(10).fill('no'))).toBe(0);
  });
  it('compares with unanimous human answers raw: no normalisation of either side', () => {
    expect(vqaAccuracy('two', Array(10).fill('2'))).toBe(0);
    expect(vqaAccuracy('Yes', Array(10).fill('yes'))).toBe(0);
    expect(vqaAccuracy('black white', Array(10).fill('black-white'))).toBe(0);
  });
  it('normalises both the answer and the human answers (punctuation, then digits, articles, contractions) when the humans disagree', () => {
    expect(vqaAccuracy('Yes', [...Array(9).fill('yes'), 'no'])).toBe(1);
    expect(vqaAccuracy('black white', [...Array(9).fill('black-white'), 'gray'])).toBe(1);
    // "yes!" becomes "yes " by punctuation, then "yes" by the digit/article pass
    expect(vqaAccuracy('yes', [...Array(9).fill('yes!'), 'no'])).toBe(1);
    // the example: "two" against nine 9s and one "two" (official 30)
    expect(vqaAccuracy('two', [...Array(7).fill('9'), '9.', '9', 'two'])).toBeCloseTo(0.3, 12);
    expect(vqaAccuracy('3.', [...Array(7).fill('3'), '3.', '3', 'two'])).toBe(1);
  });
  it('aggregates per answer type with an image-clustered interval', () => {
    const rows = [
      { id: '1', group: 'a', categories: { answerType: 'yes/no' }, extra: {}, prediction: 'yes', answers: [], scores: { vqaAccuracy: 1 } },
      { id: '2', group: 'a', categories: { answerType: 'number' }, extra: {}, prediction: '2', answers: [], scores: { vqaAccuracy: 0.6 } },
      { id: '3', group: 'b', categories: { answerType: 'number' }, extra: {}, prediction: '3', answers: [], scores: { vqaAccuracy: 0 } },
    ];
    const vals = vqaAccuracyMetric.aggregate(rows);
    expect(vals[0]!.value).toBeCloseTo(160 / 3, 10);
    expect(vals.find((v) => v.category === 'answer type/number')!.value).toBeCloseTo(30, 10);
    expect(vals[0]!.clusterInterval).toMatchObject({ method: 'cluster-t', clusters: 2 });
    // a mean that is not a proportion: t with n - 1 degrees of freedom, not ±1.96
    expect(vals[0]!.interval!.method).toBe('t');
  });
});

describe('VQA accuracy against the official script', () => {
  it('gives the official per-question figure for every adversarial answer of the hold-out set', async () => {
    const { readFileSync } = await import('node:fs');
    const path = await import('node:path');
    const { FIXTURES } = await import('../helpers/paths.js');
    const { rows } = JSON.parse(readFileSync(path.join(FIXTURES, 'references/vqa-official/adversarial.json'), 'utf8')) as {
      rows: Array<{ answer: string; answers: string[]; official: number }>;
    };
    expect(rows.length).toBeGreaterThan(1000);
    // the script rounds each question's accuracy to 2 decimals (setEvalQA)
    const differing = rows.filter((r) => Math.round(10_000 * vqaAccuracy(r.answer, r.answers)) / 100 !== r.official);
    expect(differing).toEqual([]);
  });
});
