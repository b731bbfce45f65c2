import type { OpenedDataset, Sample } from '../datasets/types.js';
import { XfError } from '../lib/errors.js';
import type { PredictionLine, PredictionWriter } from '../runs/run-dir.js';
import type { ImagePrefix, PreparedImage, VisionLanguageModel, VisualTokens } from './model.js';
import type { VisionCache } from './vision-cache.js';

export interface EvaluateOptions {
  /** Per-sample scores of every metric for one prediction. */
  score: (sample: Sample, prediction: string) => Record<string, number>;
  /** Ids already in predictions.jsonl (a resumed run). */
  skip?: ReadonlySet<string>;
  cache?: VisionCache;
  /** Stop cleanly once more samples than this have failed. */
  maxErrors?: number;
  /** Questions per LM call (default 1). Answers do not depend on it. */
  batchSize?: number;
  /** How many images ahead to decode and preprocess while the runtime works (0: none). */
  prefetch?: number;
  /** Samples read and planned at once (default DEFAULT_WINDOW). */
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
  timings: { visionMs: number; generateMs: number; images: number; questions: number };
}

/**
 * Samples held at once: the stream is evaluated window by window, each window grouped by image. Large
 * enough that an image's questions rarely span windows (the vision cache catches those that do), small
 * enough that memory stays flat however long the dataset is.
 */
export const DEFAULT_WINDOW = 16_384;

/** Samples grouped by image (in order of first appearance), so each image is encoded once. */
export function planByImage(samples: readonly Sample[]): Sample[][] {
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    const g = groups.get(s.imagePath);
    if (g) g.push(s);
    else groups.set(s.imagePath, [s]);
  }
  return [...groups.values()];
}

export function predictionLine(sample: Sample, prediction: string, scores: Record<string, number>, error?: PredictionLine['error']): PredictionLine {
  return {
    id: sample.id, imageId: sample.imageId, question: sample.question, prediction, answers: sample.answers,
    scores, categories: sample.categories, group: sample.group, extra: sample.extra, ...(error ? { error } : {}),
  };
}

/** Only per-sample problems with an input (bad image) become error rows; anything else is a bug and propagates. */
function sampleError(err: unknown): PredictionLine['error'] | undefined {
  if (err instanceof XfError && err.code === 'E_IMAGE') return { code: err.code, message: err.message };
  return undefined;
}

interface ImageAhead {
  prepared: Promise<PreparedImage | { failed: unknown }>;
  /** Vision-cache key (file content hash); undefined without a cache or for an unreadable file. */
  key: Promise<string | undefined>;
}

/**
 * Images in the order their samples come, each once, read, hashed and decoded ahead of use (file I/O
 * and sharp run off the main thread), so the runtime rarely waits for an image.
 */
class ImagePrefetcher {
  private readonly order: string[] = [];
  private readonly indexOf = new Map<string, number>();
  private readonly ahead = new Map<number, ImageAhead>();

  constructor(private readonly model: VisionLanguageModel, samples: readonly Sample[], private readonly depth: number, private readonly cache?: VisionCache) {
    for (const s of samples) {
      if (!this.indexOf.has(s.imagePath)) {
        this.indexOf.set(s.imagePath, this.order.length);
        this.order.push(s.imagePath);
      }
    }
  }

  /** The image's pending work, starting the next `depth` images meanwhile. */
  take(imagePath: string): ImageAhead {
    const k = this.indexOf.get(imagePath)!;
    for (let j = k; j <= k + this.depth && j < this.order.length; j++) {
      if (this.ahead.has(j)) continue;
      const file = this.order[j]!;
      this.ahead.set(j, {
        prepared: this.model.prepareImage(file).catch((failed: unknown) => ({ failed })),
        key: this.cache ? this.cache.keyFor(file) : Promise.resolve(undefined),
      });
    }
    const work = this.ahead.get(k)!;
    this.ahead.delete(k);
    return work;
  }
}

interface ImageOutcome {
  imagePath: string;
  visual?: VisualTokens;
  /** The LM's keys and values over the visual tokens, computed once per image. */
  prefix?: ImagePrefix;
  error?: PredictionLine['error'];
}

/**
 * Visual tokens for each image (from the cache, or from one batched call through the encoders and the
 * fusion module for all the misses), or the per-sample error an unreadable image causes.
 */
async function visualTokensFor(paths: readonly string[], model: VisionLanguageModel, images: ImagePrefetcher, cache: VisionCache | undefined, timings: EvaluateResult['timings']): Promise<Map<string, ImageOutcome>> {
  const t = performance.now();
  const outcomes = new Map<string, ImageOutcome>();
  const misses: { imagePath: string; key?: string; prepared: PreparedImage }[] = [];
  for (const imagePath of paths) {
    const work = images.take(imagePath);
    const key = await work.key;
    const cached = cache && key !== undefined ? await cache.lookup(key) : undefined;
    if (cached) {
      outcomes.set(imagePath, { imagePath, visual: cached });
      continue;
    }
    const prepared = await work.prepared;
    if ('failed' in prepared) {
      const error = sampleError(prepared.failed);
      if (!error) throw prepared.failed;
      outcomes.set(imagePath, { imagePath, error });
      continue;
    }
    misses.push({ imagePath, key, prepared });
  }
  if (misses.length > 0) {
    const visuals = await model.encodeBatch(misses.map((m) => m.prepared));
    for (const [i, m] of misses.entries()) {
      outcomes.set(m.imagePath, { imagePath: m.imagePath, visual: visuals[i] });
      if (cache && m.key !== undefined) await cache.store(m.key, visuals[i]!);
    }
  }
  timings.visionMs += performance.now() - t;
  timings.images += [...outcomes.values()].filter((o) => o.visual).length;
  return outcomes;
}

/** The stream in consecutive windows of `size` samples, leaving out those in `skip`. */
async function* windows(samples: AsyncIterable<Sample>, size: number, skip?: ReadonlySet<string>): AsyncGenerator<Sample[]> {
  let window: Sample[] = [];
  for await (const s of samples) {
    if (skip?.has(s.id)) continue;
    window.push(s);
    if (window.length >= size) {
      yield window;
      window = [];
    }
  }
  if (window.length > 0) yield window;
}

/**
 * Runs the model over the samples not yet done, `batchSize` questions per LM call, scoring and
 * appending each prediction as it is produced. Samples are read a window at a time and grouped by image
 * within it, so each image is encoded once per window (and found in the vision cache after that). A
 * sample whose image cannot be read is written as an error row and the run goes on.
 */
export async function evaluate(model: VisionLanguageModel, samples: AsyncIterable<Sample>, dataset: Pick<OpenedDataset, 'normalisePrediction'>, writer: PredictionWriter, opts: EvaluateOptions): Promise<EvaluateResult> {
  const batchSize = Math.max(1, opts.batchSize ?? 1);
  const timings = { visionMs: 0, generateMs: 0, images: 0, questions: 0 };
  let errors = 0;
  const result = (stoppedBy: EvaluateResult['stoppedBy']): EvaluateResult => ({ evaluated: timings.questions, errors, stoppedBy, timings });
  const emit = (line: PredictionLine) => {
    writer.append(line);
    timings.questions += 1;
    opts.onProgress?.(timings.questions, opts.total ?? timings.questions);
  };
  for await (const window of windows(samples, Math.max(1, opts.window ?? DEFAULT_WINDOW), opts.skip)) {
    const todo = planByImage(window).flat();
    const images = new ImagePrefetcher(model, todo, opts.prefetch ?? 2, opts.cache);
    // the last image of the previous batch: an image's samples are consecutive and may span two batches
    let carried: ImageOutcome | undefined;
    for (let start = 0; start < todo.length; start += batchSize) {
      if (opts.shouldStop?.()) return result('signal');
      const samplesHere = todo.slice(start, start + batchSize);
      const needed = [...new Set(samplesHere.map((s) => s.imagePath))].filter((p) => p !== carried?.imagePath);
      const outcomes = await visualTokensFor(needed, model, images, opts.cache, timings);
      if (carried) outcomes.set(carried.imagePath, carried);
      carried = outcomes.get(samplesHere[samplesHere.length - 1]!.imagePath);
      const batch = samplesHere.map((sample) => ({ sample, ...outcomes.get(sample.imagePath)! }));
      const ready = batch.filter((w) => w.visual);
      const t = performance.now();
      const fresh = [...outcomes.values()].filter((o) => o.visual && !o.prefix);
      if (fresh.length > 0) (await model.prefixes(fresh.map((o) => o.visual!))).forEach((p, i) => { fresh[i]!.prefix = p; });
      const generations = ready.length > 0 ? await model.generateBatch(ready.map((w) => ({ prefix: outcomes.get(w.sample.imagePath)!.prefix!, question: w.sample.question }))) : [];
      timings.generateMs += performance.now() - t;
      const texts = new Map(ready.map((w, i) => [w, generations[i]!.text]));
      // written in plan order, whatever the mix of answers and failures in the batch
      for (const w of batch) {
        if (w.visual) {
          const prediction = dataset.normalisePrediction(texts.get(w)!);
          emit(predictionLine(w.sample, prediction, opts.score(w.sample, prediction)));
          continue;
        }
        emit(predictionLine(w.sample, '', opts.score(w.sample, ''), w.error));
        errors += 1;
        if (opts.maxErrors !== undefined && errors > opts.maxErrors) return result('max-errors');
      }
    }
  }
  return result(null);
}
