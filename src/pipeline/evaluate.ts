import type { VisionLanguageModel } from '../core/model.js';
import { ImagePool } from '../core/vision/image-pool.js';
import type { VisionCache } from '../core/vision/vision-cache.js';
import type { Sample } from '../datasets/types.js';
import type { PredictionLine, PredictionWriter } from '../runs/prediction-line.js';
import type { RunAblation } from './ablation-setup.js';
import { ImagePrefetcher } from './image-prefetch.js';
import { planByImage, windows } from './plan.js';
import type { SampleScorer } from './scoring.js';
import { DEFAULT_BATCH_SIZE, DEFAULT_PREFETCH, DEFAULT_WINDOW } from './settings.js';
import { visualTokensFor, type ImageOutcome, type StageTimings } from './visual-tokens.js';

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
  scorer: SampleScorer;
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

export interface EvaluateResult {
  /** Samples answered (or written as error rows) in this call. */
  evaluated: number;
  errors: number;
  stoppedBy: 'max-errors' | 'signal' | null;
  timings: StageTimings;
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
      const samplesHere = todo.slice(start, start + batchSize);
      const needed = [...new Set(samplesHere.map((s) => s.imagePath))].filter((p) => p !== carried?.imagePath);
      const outcomes = await visualTokensFor(needed, model, images, opts.cache, timings, opts.ablation);
      if (carried) outcomes.set(carried.imagePath, carried);
      carried = outcomes.get(samplesHere[samplesHere.length - 1]!.imagePath);
      const batch = samplesHere.map((sample) => fitting(model, sample, outcomes.get(sample.imagePath)!));
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
            )
          : [];
      timings.generateMs += performance.now() - t;
      const texts = new Map(ready.map((w, i) => [w, generations[i]!.text]));
      // written in plan order, whatever the mix of answers and failures in the batch
      for (const w of batch) {
        if (w.visual) {
          emit(opts.scorer.line(w.sample, texts.get(w)!, { prompt: model.prompts.prompt(w.sample.question) }));
          continue;
        }
        emit(opts.scorer.errorLine(w.sample, w.error!, model.prompts.prompt(w.sample.question)));
        errors += 1;
        if (opts.maxErrors !== undefined && errors > opts.maxErrors) return result('max-errors');
      }
    }
  }
  return result(null);
}
