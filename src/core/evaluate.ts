import type { OpenedDataset, Sample } from '../datasets/types.js';
import { XfError } from '../lib/errors.js';
import type { PredictionLine, PredictionWriter } from '../runs/run-dir.js';
import type { VisionLanguageModel, VisualTokens } from './model.js';
import type { VisionCache } from './vision-cache.js';

export interface EvaluateOptions {
  /** Per-sample scores of every metric for one prediction. */
  score: (sample: Sample, prediction: string) => Record<string, number>;
  /** Ids already in predictions.jsonl (a resumed run). */
  skip?: ReadonlySet<string>;
  cache?: VisionCache;
  /** Stop cleanly once more samples than this have failed. */
  maxErrors?: number;
  /** Polled between samples: true stops the run cleanly (e.g. after SIGINT). */
  shouldStop?: () => boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface EvaluateResult {
  rows: PredictionLine[];
  errors: number;
  stoppedBy: 'max-errors' | 'signal' | null;
  timings: { visionMs: number; generateMs: number; images: number; questions: number };
}

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

/**
 * Runs the model over the samples not yet done, scoring and appending each prediction as it is
 * produced. A sample whose image cannot be read is written as an error row and the run goes on.
 */
export async function evaluate(model: VisionLanguageModel, samples: readonly Sample[], dataset: Pick<OpenedDataset, 'normalisePrediction'>, writer: PredictionWriter, opts: EvaluateOptions): Promise<EvaluateResult> {
  const todo = opts.skip ? samples.filter((s) => !opts.skip!.has(s.id)) : samples;
  const rows: PredictionLine[] = [];
  const timings = { visionMs: 0, generateMs: 0, images: 0, questions: 0 };
  let errors = 0;
  const emit = (line: PredictionLine) => {
    writer.append(line);
    rows.push(line);
    timings.questions += 1;
    opts.onProgress?.(timings.questions, todo.length);
  };
  for (const group of planByImage(todo)) {
    if (opts.shouldStop?.()) return { rows, errors, stoppedBy: 'signal', timings };
    let t = performance.now();
    let visual: VisualTokens;
    try {
      const encode = () => model.encodeImage(group[0]!.imagePath);
      visual = opts.cache ? await opts.cache.get(group[0]!.imagePath, encode) : await encode();
    } catch (err) {
      const error = sampleError(err);
      if (!error) throw err;
      for (const sample of group) emit(predictionLine(sample, '', opts.score(sample, ''), error));
      errors += group.length;
      if (opts.maxErrors !== undefined && errors > opts.maxErrors) return { rows, errors, stoppedBy: 'max-errors', timings };
      continue;
    }
    timings.visionMs += performance.now() - t;
    timings.images += 1;
    for (const sample of group) {
      if (opts.shouldStop?.()) return { rows, errors, stoppedBy: 'signal', timings };
      t = performance.now();
      const generation = await model.generate(visual, sample.question);
      timings.generateMs += performance.now() - t;
      const prediction = dataset.normalisePrediction(generation.text);
      emit(predictionLine(sample, prediction, opts.score(sample, prediction)));
    }
  }
  return { rows, errors, stoppedBy: null, timings };
}
