import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle } from '../../src/core/bundle/manifest.js';
import { VisionLanguageModel } from '../../src/core/model.js';
import { BUNDLES, FIXTURES, GQA_MINI } from '../helpers/paths.js';
import { encodeImage, prepareImage } from '../helpers/images.js';

interface ParityCase {
  questionId: string;
  imageId: string;
  question: string;
  promptIds: number[];
  answer: string;
  visualTokens: number[][];
  firstLogits: number[];
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

for (const [kind, dir] of Object.entries(BUNDLES)) {
  describe(`parity with PyTorch: ${path.basename(dir)}`, () => {
    const refs = JSON.parse(readFileSync(path.join(FIXTURES, 'references', path.basename(dir), 'parity.json'), 'utf8')) as {
      cases: ParityCase[];
    };
    let model: VisionLanguageModel;
    beforeAll(async () => {
      model = await VisionLanguageModel.open(await loadBundle(dir), { device: 'cpu', threads: 1 });
    });
    afterAll(async () => model?.dispose());

    it('has reference cases', () => {
      expect(refs.cases.length).toBeGreaterThanOrEqual(5);
    });

    it(`tokenizes prompts exactly as the model zoo did (${kind})`, () => {
      for (const c of refs.cases) expect(model.tokenizer.encode(model.prompt(c.question))).toEqual(c.promptIds);
    });

    it(`reproduces visual tokens and first-step logits within 1e-4, and the greedy answers (${kind})`, async () => {
      for (const c of refs.cases) {
        const image = readdirImage(c.imageId);
        const visual = await encodeImage(model, image);
        expect(visual.dims).toEqual([1, c.visualTokens.length, c.visualTokens[0]!.length]);
        expect(maxAbsDiff(visual.data, c.visualTokens.flat())).toBeLessThanOrEqual(1e-4);
        const gen = await model.generate(visual, c.question);
        expect(maxAbsDiff(gen.firstLogits, c.firstLogits)).toBeLessThanOrEqual(1e-4);
        expect(gen.text.trim().toLowerCase().replace(/\.+$/, '')).toBe(c.answer);
      }
    });

    it(`encodes a batch of images as it encodes each alone (${kind})`, async () => {
      const prepared = await Promise.all(refs.cases.map((c) => prepareImage(model, readdirImage(c.imageId))));
      const batched = await model.encodeBatch(prepared);
      for (const [i, p] of prepared.entries()) {
        const single = await model.encodePrepared(p);
        expect(batched[i]!.dims).toEqual(single.dims);
        expect(maxAbsDiff(batched[i]!.data, single.data)).toBeLessThanOrEqual(1e-5);
      }
    });

    it(`decodes a batch of questions on different images exactly as one at a time (${kind})`, async () => {
      // prompts of different lengths on different images, so rows are padded by different amounts
      const visuals = await Promise.all(refs.cases.map((c) => encodeImage(model, readdirImage(c.imageId))));
      const prefixes = await model.prefixes(visuals);
      const requests = refs.cases.map((c, i) => ({ visual: visuals[i]!, prefix: prefixes[i]!, question: c.question }));
      requests.push({ ...requests[0]!, question: `${requests[0]!.question.replace(/\?$/, '')} in this picture?` });
      const lengths = new Set(requests.map((r) => model.tokenizer.encode(model.prompt(r.question)).length));
      expect(lengths.size).toBeGreaterThan(1);
      const batched = await model.generateBatch(requests);
      for (const [i, r] of requests.entries()) {
        const single = await model.generate(r.visual, r.question);
        expect(batched[i]!.tokenIds).toEqual(single.tokenIds);
        expect(batched[i]!.text).toBe(single.text);
        expect(maxAbsDiff(batched[i]!.firstLogits, single.firstLogits)).toBeLessThanOrEqual(1e-5);
      }
    });

    it(`decodes batches that overlap in time, or follow smaller ones, exactly as each alone (${kind})`, async () => {
      // batches share arrays for stacking image prefixes: one that finds them in use, or too small,
      // must still see only its own rows
      const visuals = await Promise.all(refs.cases.map((c) => encodeImage(model, readdirImage(c.imageId))));
      const prefixes = await model.prefixes(visuals);
      const requests = refs.cases.map((c, i) => ({ prefix: prefixes[i]!, question: c.question }));
      const small = await model.generateBatch(requests.slice(0, 2));
      const reversed = [...requests].reverse();
      const [forward, backward] = await Promise.all([model.generateBatch(requests), model.generateBatch(reversed)]);
      const again = await model.generateBatch(requests);
      for (const [i, r] of requests.entries()) {
        const single = await model.generate(visuals[i]!, r.question);
        for (const batched of [forward[i]!, backward[requests.length - 1 - i]!, again[i]!, ...(i < 2 ? [small[i]!] : [])]) {
          expect(batched.tokenIds).toEqual(single.tokenIds);
          expect(maxAbsDiff(batched.firstLogits, single.firstLogits)).toBeLessThanOrEqual(1e-5);
        }
      }
    });
  });
}

function readdirImage(imageId: string): string {
  return path.join(GQA_MINI, 'images', `${imageId}.png`);
}
