import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle } from '../../src/core/bundle/manifest.js';
import { VisionLanguageModel, type GenerationRequest } from '../../src/core/model.js';
import { runCli } from '../helpers/cli.js';
import { firstGqaQuestions, runConverterPython, type QuestionRef, type ReferenceCase } from '../helpers/converter.js';
import { convertedCheckpoint } from '../helpers/shared-results.js';
import { tempDir } from '../helpers/paths.js';
import { encodeImage, prepareImage } from '../helpers/images.js';

const QUESTIONS = 50;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** LAVIS's settings per LM: OPT forces one new token and has no length penalty; T5 ranks beams with -1. */
const LAVIS = {
  opt: { minNewTokens: 1, lengthPenalty: 0 },
  t5: { minNewTokens: 0, lengthPenalty: -1 },
} as const;

/**
 * A randomly initialised BLIP-2 (transformers builds it from a small config; nothing is downloaded)
 * with an OPT LM (two shapes) or a Flan-T5-style LM, and X-Formers on the OPT one (an MAE ViT and the
 * dual cross-attention, docs/xformer-checkpoint.md, in two placements: after each cross-attention,
 * pre-norm, on the MAE's output; after whole layers, post-norm, on the MAE's first layer), saved with save_pretrained, converted by `xfbench
 * convert`, and run by xfbench: its answers must be transformers' generate answers, greedy and with the
 * bundle's 5 beams (for the X-Former: its PyTorch modules, then the LM's generate as BLIP-2 calls it).
 */
describe.each(['opt', 'opt-holdout', 't5', 'xformer', 'xformer-late'])('xfbench convert: %s checkpoint against transformers', (kind) => {
  const lm = kind === 't5' ? 't5' : 'opt';
  const dir = tempDir(`xfbench-convert-${kind}-`);
  let checkpoint: string;
  let bundleDir: string;
  const questions: QuestionRef[] = firstGqaQuestions(QUESTIONS);
  let refs: Map<string, ReferenceCase>;
  let model: VisionLanguageModel;
  let convertSeconds = 0;

  beforeAll(async () => {
    // the checkpoint and its conversion are shared with the other files that need them (converted-datasets)
    const shared = await convertedCheckpoint(kind);
    ({ checkpoint, bundle: bundleDir } = shared);
    const converted = shared.convert;
    expect(converted.status, converted.stderr).toBe(0);
    convertSeconds = (JSON.parse(converted.stdout) as { seconds: number }).seconds;
    writeFileSync(path.join(dir, 'questions.json'), JSON.stringify(questions));
    runConverterPython([
      '-m',
      'xfconvert.testing.reference',
      checkpoint,
      bundleDir,
      path.join(dir, 'questions.json'),
      path.join(dir, 'reference.json'),
    ]);
    const cases = (JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as { cases: ReferenceCase[] }).cases;
    refs = new Map(cases.map((c) => [c.id, c]));
    model = await VisionLanguageModel.open(await loadBundle(bundleDir), { device: 'cpu', threads: 1 });
  }, 600_000);
  afterAll(async () => model?.dispose());

  it("converts in seconds into a bundle with LAVIS's settings", () => {
    const m = model.manifest;
    expect(convertSeconds).toBeGreaterThan(0);
    expect(m.prompt.template).toBe('Question: {question} Short answer:');
    expect(m.generation).toMatchObject({ strategy: 'beam', numBeams: 5, maxNewTokens: 10, ...LAVIS[lm] });
    expect(Boolean(m.lm.encoderDecoder)).toBe(lm === 't5');
    expect(m.encoders[0]!.image).toMatchObject({ resize: 'bicubic', crop: 'none', mean: [0.48145466, 0.4578275, 0.40821073] });
    expect(m.lm.inputs.positionIds).toBeUndefined();
    expect(statSync(path.join(bundleDir, 'lm_decoder.onnx')).size).toBeGreaterThan(0);
  });

  it("reads each encoder with its own processor's preprocessing; an X-Former's MAE features matter", async () => {
    const m = model.manifest;
    const clip = ['vision', 'bicubic', 0.48145466];
    if (!kind.startsWith('xformer')) {
      expect([m.fusionKind, ...m.encoders.map((e) => [e.id, e.image.resize, e.image.mean[0]])]).toEqual(['clip', clip]);
      return;
    }
    expect([m.fusionKind, ...m.encoders.map((e) => [e.id, e.image.resize, e.image.mean[0]])]).toEqual([
      'clip+mae',
      clip,
      ['mae', 'bilinear', 0.485],
    ]);
    const prepared = await prepareImage(model, questions[0]!.image);
    const [plain] = await model.encodeBatch([prepared]);
    const [noMae] = await model.encodeBatch([prepared], { modes: new Map([['mae', 'zero']]), stats: new Map() });
    expect(maxAbsDiff(plain!.data, noMae!.data)).toBeGreaterThan(1e-3);
  });

  it("tokenizes prompts as transformers does (OPT's BOS, T5's EOS from the post-processor)", () => {
    for (const q of questions) expect(model.tokenizer.encode(model.prompt(q.question))).toEqual(refs.get(q.id)!.promptIds);
  });

  async function requests(): Promise<GenerationRequest[]> {
    const visuals = await Promise.all(questions.map((q) => encodeImage(model, q.image)));
    const prefixes = await model.prefixes(visuals);
    return questions.map((q, i) => ({ prefix: prefixes[i]!, question: q.question }));
  }

  it("gives transformers' first-step logits within 1e-4 and its greedy answers, batched", async () => {
    const greedy = await VisionLanguageModel.open(await loadBundle(bundleDir), { device: 'cpu', threads: 1 }, { numBeams: 1 });
    try {
      const out = await greedy.generateBatch(await requests());
      let worst = 0;
      // the hold-out OPT, the T5 and the X-Former have LM heads wider than their tokenizers' vocabularies, as
      // OPT's and Flan-T5's released heads are (random_checkpoint.py HEAD_PADDING); the other has none
      const padding = { 'opt-holdout': 7, 't5': 28, 'xformer': 5, 'xformer-late': 5 }[kind] ?? 0;
      expect(out[0]!.firstLogits.length - greedy.prompts.tokenizer.vocabSize).toBe(padding);
      for (const [i, q] of questions.entries()) {
        const ref = refs.get(q.id)!;
        worst = Math.max(worst, maxAbsDiff(out[i]!.firstLogits, ref.firstLogits));
        expect(out[i]!.tokenIds, q.id).toEqual(ref.greedy.ids);
        expect(out[i]!.text, q.id).toBe(ref.greedy.text);
      }
      expect(worst).toBeLessThanOrEqual(1e-4);
    } finally {
      await greedy.dispose();
    }
  });

  it("gives transformers' 5-beam answers, batched and one at a time", async () => {
    const reqs = await requests();
    const batched = await model.generateBatch(reqs);
    for (const [i, q] of questions.entries()) {
      expect(batched[i]!.tokenIds, q.id).toEqual(refs.get(q.id)!.beams.ids);
      expect(batched[i]!.text, q.id).toBe(refs.get(q.id)!.beams.text);
    }
    for (const i of [0, 7, 19]) expect((await model.generateBatch([reqs[i]!]))[0]!.tokenIds).toEqual(batched[i]!.tokenIds);
  });

  it("gives transformers' beams with a length penalty, several end tokens and a minimum length", async () => {
    const settings = {
      ...model.generation,
      numBeams: 3,
      lengthPenalty: 1,
      minNewTokens: 2,
      endIds: [...model.generation.endIds, model.tokenizer.eosId],
    };
    const out = await model.generateBatch(await requests(), settings);
    for (const [i, q] of questions.entries()) expect(out[i]!.tokenIds, q.id).toEqual(refs.get(q.id)!.variant.ids);
  });

  it("runs gqa end to end with the bundle's beams, answers as transformers'", () => {
    const out = path.join(dir, 'run');
    const r = runCli(['run', 'gqa', '--model', bundleDir, '--limit', String(QUESTIONS), '--out', out, '--device', 'cpu', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const lines = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; prediction: string; raw?: string });
    expect(lines).toHaveLength(QUESTIONS);
    for (const l of lines) expect(l.raw ?? l.prediction, l.id).toBe(refs.get(l.id)!.beams.text);
    const record = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as { config: { generation: unknown } };
    expect(record.config.generation).toEqual({ numBeams: 5, maxNewTokens: 10 });
  });
});
