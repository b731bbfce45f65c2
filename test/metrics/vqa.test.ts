import { describe, expect, it } from 'vitest';
import { processDigitArticle, processPunctuation, vqaAccuracy, vqaAccuracyMetric } from '../../src/metrics/vqa.js';

describe('VQA answer normalisation', () => {
  it('handles punctuation, number words, articles and contractions', () => {
    expect(processDigitArticle(processPunctuation('Two.'))).toBe('2');
    expect(processDigitArticle(processPunctuation('the dog'))).toBe('dog');
    expect(processDigitArticle(processPunctuation('isnt'))).toBe("isn't");
    expect(processDigitArticle(processPunctuation('couldntve'))).toBe("couldn't've");
    expect(processDigitArticle(processPunctuation("couldn'tve"))).toBe("couldn't've");
    expect(processPunctuation('1,000')).toBe('1000'); // comma between digits: removed
    expect(processPunctuation('red,blue')).toBe('red blue');
    expect(processPunctuation('3.5')).toBe('3.5'); // a decimal point stays
    expect(processDigitArticle('Yes')).toBe('yes');
  });
});

describe('VQA accuracy', () => {
  it('is 1 when at least four humans agree (three in every leave-one-out subset)', () => {
    expect(vqaAccuracy('two', Array(10).fill('2'))).toBe(1);
    expect(vqaAccuracy('2', ['2', '2', '2', '2', 'x', 'x', 'x', 'x', 'x', 'x'])).toBe(1);
  });
  it('averages min(matches/3, 1) over the ten subsets', () => {
    // two "yes": leaving out a yes gives 1/3 (twice), leaving out a no gives 2/3 (eight times)
    expect(vqaAccuracy('yes', ['yes', 'yes', ...Array(8).fill('no')])).toBeCloseTo(0.6, 12);
    expect(vqaAccuracy('maybe', Array(10).fill('no'))).toBe(0);
  });
  it('normalises human answers only when they disagree, as the official script does', () => {
    // unanimous answers are compared raw: "black-white" never equals the normalised "black white"
    expect(vqaAccuracy('black white', Array(10).fill('black-white'))).toBe(0);
    expect(vqaAccuracy('black white', [...Array(9).fill('black-white'), 'gray'])).toBe(1);
    // and, as in the official script, punctuation processing does not trim: "yes!" becomes "yes "
    expect(vqaAccuracy('yes', [...Array(9).fill('yes!'), 'no'])).toBe(0);
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
    expect(vals[0]!.clusterInterval).toMatchObject({ method: 'cluster-bootstrap', clusters: 2 });
  });
});
