import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle } from '../../src/core/bundle/manifest.js';
import { VisionLanguageModel } from '../../src/core/model.js';
import { runCli } from '../helpers/cli.js';
import { firstGqaQuestions, runConverterPython, writeRandomCheckpoint, type ReferenceCase } from '../helpers/converter.js';
import { tempDir } from '../helpers/paths.js';
import { encodeImage } from '../helpers/images.js';

/** fp16 first-step logits against fp32 transformers: the tolerance docs/convert.md states. */
const FP16_LOGIT_TOLERANCE = 2e-2;
const QUESTIONS = 30;

/**
 * The same checkpoint converted with its weights in external .data files, and in float16: both
 * through the one path every bundle takes (loadBundle, VisionLanguageModel, the run loop).
 */
describe('xfbench convert: external data and fp16', () => {
  const dir = tempDir('xfbench-convert-layout-');
  const checkpoint = path.join(dir, 'checkpoint');
  const questions = firstGqaQuestions(QUESTIONS);
  let refs: Map<string, ReferenceCase>;
  const bundles: Record<'external' | 'fp16', string> = { external: path.join(dir, 'external'), fp16: path.join(dir, 'fp16') };
  const models: Partial<Record<keyof typeof bundles, VisionLanguageModel>> = {};

  beforeAll(async () => {
    writeRandomCheckpoint(dir, 'opt', 1);
    for (const [kind, flags] of [
      ['external', ['--external-data', 'always']],
      ['fp16', ['--dtype', 'fp16']],
    ] as const) {
      const r = runCli(['convert', checkpoint, '--out', bundles[kind], ...flags]);
      expect(r.status, r.stderr).toBe(0);
      models[kind] = await VisionLanguageModel.open(await loadBundle(bundles[kind]), { device: 'cpu', threads: 1 });
    }
    writeFileSync(path.join(dir, 'questions.json'), JSON.stringify(questions));
    runConverterPython([
      '-m',
      'xfconvert.testing.reference',
      checkpoint,
      bundles.external,
      path.join(dir, 'questions.json'),
      path.join(dir, 'reference.json'),
    ]);
    refs = new Map(
      (JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as { cases: ReferenceCase[] }).cases.map((c) => [c.id, c]),
    );
  }, 600_000);
  afterAll(async () => {
    for (const m of Object.values(models)) await m?.dispose();
  });

  async function answers(model: VisionLanguageModel) {
    const visuals = await Promise.all(questions.map((q) => encodeImage(model, q.image)));
    const prefixes = await model.prefixes(visuals);
    return model.generateBatch(questions.map((q, i) => ({ prefix: prefixes[i]!, question: q.question })));
  }

  it("keeps every graph's weights in one .data file, pinned by sha256, and answers exactly as transformers", async () => {
    const m = models.external!.manifest;
    for (const graph of ['vision_encoder', 'fusion', 'lm_embed', 'lm_decoder']) {
      expect(existsSync(path.join(bundles.external, `${graph}.data`))).toBe(true);
      expect(m.files[`${graph}.data`]).toMatch(/^[0-9a-f]{64}$/);
    }
    const out = await answers(models.external!);
    for (const [i, q] of questions.entries()) expect(out[i]!.tokenIds, q.id).toEqual(refs.get(q.id)!.beams.ids);
  });

  it(`in fp16 is smaller, its first-step logits within ${FP16_LOGIT_TOLERANCE} of fp32 transformers`, async () => {
    const size = (d: string) =>
      Object.keys(JSON.parse(readFileSync(path.join(d, 'xfbench.json'), 'utf8')).files as object).reduce(
        (n, f) => n + readFileSync(path.join(d, f)).length,
        0,
      );
    // not 0.5: at this toy size the graphs' structure is a third of the bytes
    expect(size(bundles.fp16)).toBeLessThan(0.7 * size(bundles.external));
    const out = await answers(models.fp16!);
    let worst = 0;
    let same = 0;
    for (const [i, q] of questions.entries()) {
      const ref = refs.get(q.id)!;
      for (const [k, x] of out[i]!.firstLogits.entries()) worst = Math.max(worst, Math.abs(x - ref.firstLogits[k]!));
      if (out[i]!.text === ref.beams.text) same++;
    }
    console.log(
      `fp16: first-step logits within ${worst.toExponential(2)} of fp32 transformers; ${same}/${questions.length} 5-beam answers identical`,
    );
    expect(worst).toBeLessThanOrEqual(FP16_LOGIT_TOLERANCE);
    expect(same).toBeGreaterThanOrEqual(Math.ceil(0.8 * questions.length));
  });
});
