import type { OpenedDataset, Sample } from '../datasets/types.js';
import { XfError } from '../lib/errors.js';
import type { PredictionLine, PredictionWriter } from '../runs/run-dir.js';
import type { PreparedImage, VisionLanguageModel, VisualTokens } from './model.js';
import type { VisionCache } from './vision-cache.js';

export interface EvaluateOptions {
  /** Per-sample scores of every metric for one prediction. */
  score: (sample: Sample, prediction: string) => Record<string, number>;
  /** Ids already in predictions.jsonl (a resumed run). */
  skip?: ReadonlySet<string>;
  cache?: VisionCache;
  /** Stop cleanly once more samples than this have failed. */
  maxErrors?: number;
  /** How many images ahead to decode and preprocess while the runtime works (0: none). */
  prefetch?: number;
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
  const groups = planByImage(todo);
  // images decoded ahead of use (sharp works on its own threads); a failure is kept for its turn
  const ahead = new Map<number, Promise<PreparedImage | { failed: unknown }>>();
  const prepare = (g: number) => {
    if (g < groups.length && !ahead.has(g)) ahead.set(g, model.prepareImage(groups[g]![0]!.imagePath).catch((failed: unknown) => ({ failed })));
  };
  for (const [g, group] of groups.entries()) {
    if (opts.shouldStop?.()) return { rows, errors, stoppedBy: 'signal', timings };
    for (let k = 0; k <= (opts.prefetch ?? 2); k++) prepare(g + k);
    let t = performance.now();
    let visual: VisualTokens;
    try {
      const encode = async () => {
        const prepared = await ahead.get(g)!;
        if ('failed' in prepared) throw prepared.failed;
        return model.encodePrepared(prepared);
      };
      visual = opts.cache ? await opts.cache.get(group[0]!.imagePath, encode) : await encode();
      ahead.delete(g);
    } catch (err) {
      ahead.delete(g);
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
