import type { GenerationSettings, VisionLanguageModel } from '../core/model.js';
import { ImagePool } from '../core/vision/image-pool.js';
import type { VisionCache } from '../core/vision/vision-cache.js';
import type { Sample } from '../datasets/types.js';
import type { PredictionLine, PredictionWriter } from '../runs/prediction-line.js';
import type { RunAblation } from './ablation-setup.js';
import { ImagePrefetcher } from './image-prefetch.js';
import { planByImage, windows } from './plan.js';
import { DEFAULT_BATCH_SIZE, DEFAULT_PREFETCH, DEFAULT_WINDOW } from './settings.js';
import type { EvaluateResult, LineScorer, StageTimings } from '../runs/run-model.js';
import { visualTokensFor, type ImageOutcome } from './visual-tokens.js';

export type { EvaluateResult } from '../runs/run-model.js';

/**
 * A sample whose prompt leaves no room for the answer in the LM's context is one failed sample (an
 * error row), not a failed run.
 */
function fitting(model: VisionLanguageModel, sample: Sample, outcome: ImageOutcome): ImageOutcome & { sample: Sample } {
  if (!outcome.visual || model.promptFits(sample.question, outcome.visual.dims[1])) return { sample, ...outcome };
  const lm = model.manifest.lm;
  return {
    sample,
    imagePath: outcome.imagePath,
    error: {
      code: 'E_PROMPT_TOO_LONG',
      message: `the prompt, after ${outcome.visual.dims[1]} image positions and with ${model.generation.maxNewTokens} new tokens, exceeds the LM's ${lm.maxPositions} positions`,
    },
  };
}

export interface EvaluateOptions {
  /** Turns each answer into its scored prediction line. */
  scorer: LineScorer;
  /** Decodes images for the encoders; without one, a pool is opened for this call. */
  images?: ImagePool;
  /** `run --ablate`: encoders' features taken away (ablation-setup.ts). */
  ablation?: RunAblation;
  /** Ids already in predictions.jsonl (a resumed run). */
  skip?: ReadonlySet<string>;
  cache?: VisionCache;
  /** Stop cleanly once more samples than this have failed. */
  maxErrors?: number;
  /** Questions per LM call. Answers do not depend on it. */
  batchSize?: number;
  /** How many images ahead to decode and preprocess while the runtime works (0: none). */
  prefetch?: number;
  /** Samples read and planned at once. */
  window?: number;
  /** Samples to evaluate in all, for progress reports. */
  total?: number;
  /** Polled between samples: true stops the run cleanly (e.g. after SIGINT). */
  shouldStop?: () => boolean;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Runs the model over the samples not yet done, `batchSize` questions per LM call, scoring and
 * appending each prediction as it is produced. Samples are read a window at a time and grouped by image
 * within it, so each image is encoded once per window (and found in the vision cache after that). A
 * sample whose image cannot be read is written as an error row and the run goes on.
 */
export async function evaluate(
  model: VisionLanguageModel,
  samples: AsyncIterable<Sample>,
  writer: PredictionWriter,
  opts: EvaluateOptions,
): Promise<EvaluateResult> {
  const pool = opts.images ?? ImagePool.open();
  try {
    return await evaluateWith(model, samples, writer, pool, opts);
  } finally {
    if (!opts.images) pool.close();
  }
}

async function evaluateWith(
  model: VisionLanguageModel,
  samples: AsyncIterable<Sample>,
  writer: PredictionWriter,
  pool: ImagePool,
  opts: EvaluateOptions,
): Promise<EvaluateResult> {
  const batchSize = Math.max(1, opts.batchSize ?? DEFAULT_BATCH_SIZE);
  const timings: StageTimings = { visionMs: 0, generateMs: 0, images: 0, questions: 0 };
  let errors = 0;
  const result = (stoppedBy: EvaluateResult['stoppedBy']): EvaluateResult => ({ evaluated: timings.questions, errors, stoppedBy, timings });
  const emit = (line: PredictionLine) => {
    writer.append(line);
    timings.questions += 1;
    opts.onProgress?.(timings.questions, opts.total ?? timings.questions);
  };
  for await (const window of windows(samples, Math.max(1, opts.window ?? DEFAULT_WINDOW), opts.skip)) {
    const todo = planByImage(window).flat();
    const images = new ImagePrefetcher(pool, model.vision.imageSpecs, todo, opts.prefetch ?? DEFAULT_PREFETCH, opts.cache);
    // the last image of the previous batch: an image's samples are consecutive and may span two batches
    let carried: ImageOutcome | undefined;
    for (let start = 0; start < todo.length; start += batchSize) {
      if (opts.shouldStop?.()) return result('signal');
      const answered = await answerBatch(model, todo.slice(start, start + batchSize), images, {
        cache: opts.cache,
        timings,
        ablation: opts.ablation,
        carried,
      });
      carried = answered.last;
      // written in plan order, whatever the mix of answers and failures in the batch
      for (const a of answered.answers) {
        const prompt = model.prompts.prompt(a.sample.question);
        if ('text' in a) {
          emit(opts.scorer.line(a.sample, a.text, { prompt }));
          continue;
        }
        emit(opts.scorer.errorLine(a.sample, a.error, prompt));
        errors += 1;
        if (opts.maxErrors !== undefined && errors > opts.maxErrors) return result('max-errors');
      }
    }
  }
  return result(null);
}

export type SampleAnswer =
  | { sample: Sample; text: string; /** tokens generated */ tokens: number }
  | { sample: Sample; error: NonNullable<PredictionLine['error']> };

export interface BatchContext {
  cache?: VisionCache;
  timings: StageTimings;
  ablation?: RunAblation;
  /** The previous batch's last image, whose samples may continue in this one. */
  carried?: ImageOutcome;
  /** Decoding settings other than the model's own (a served request's max_tokens). */
  generation?: GenerationSettings;
}

/**
 * One LM call's worth of samples answered: their images' visual tokens (from the cache or encoded
 * together), each new image's prefix, then one batched generation over the samples whose image and
 * prompt are usable; the rest get their per-sample error. Answers come in the samples' order; `last`
 * is the batch's last image, for the next batch.
 */
export async function answerBatch(
  model: VisionLanguageModel,
  samples: readonly Sample[],
  images: ImagePrefetcher,
  ctx: BatchContext,
): Promise<{ answers: SampleAnswer[]; last: ImageOutcome | undefined }> {
  const { carried, timings } = ctx;
  const needed = [...new Set(samples.map((s) => s.imagePath))].filter((p) => p !== carried?.imagePath);
  const outcomes = await visualTokensFor(needed, model, images, ctx.cache, timings, ctx.ablation);
  if (carried) outcomes.set(carried.imagePath, carried);
  const batch = samples.map((sample) => fitting(model, sample, outcomes.get(sample.imagePath)!));
  const ready = batch.filter((w) => w.visual);
  const t = performance.now();
  const fresh = [...outcomes.values()].filter((o) => o.visual && !o.prefix);
  if (fresh.length > 0)
    (await model.prefixes(fresh.map((o) => o.visual!))).forEach((p, i) => {
      fresh[i]!.prefix = p;
    });
  const generations =
    ready.length > 0
      ? await model.generateBatch(
          ready.map((w) => ({ prefix: outcomes.get(w.sample.imagePath)!.prefix!, question: w.sample.question })),
          ctx.generation,
        )
      : [];
  timings.generateMs += performance.now() - t;
  const generated = new Map(ready.map((w, i) => [w, generations[i]!]));
  return {
    answers: batch.map((w) => {
      const g = generated.get(w);
      return g ? { sample: w.sample, text: g.text, tokens: g.tokenIds.length } : { sample: w.sample, error: w.error! };
    }),
    last: outcomes.get(samples[samples.length - 1]!.imagePath),
  };
}
