import type { OpenedDataset, Sample } from '../datasets/types.js';
import type { ScoredSample } from '../metrics/types.js';
import type { PredictionLine, PredictionWriter } from '../runs/run-dir.js';
import type { VisionLanguageModel } from './model.js';

export interface EvaluateOptions {
  limit?: number;
  /** Per-sample scores of every metric for one prediction. */
  score: (sample: Sample, prediction: string) => Record<string, number>;
  onProgress?: (done: number, total: number) => void;
}

export interface EvaluateResult {
  rows: ScoredSample[];
  timings: { visionMs: number; generateMs: number; images: number; questions: number };
}

/** Samples in file order, then grouped by image (first appearance) so each image is encoded once. */
export function planByImage(samples: readonly Sample[]): Sample[][] {
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    const g = groups.get(s.imagePath);
    if (g) g.push(s);
    else groups.set(s.imagePath, [s]);
  }
  return [...groups.values()];
}

export function predictionLine(sample: Sample, prediction: string, scores: Record<string, number>): PredictionLine {
  return {
    id: sample.id, imageId: sample.imageId, question: sample.question, prediction, answers: sample.answers,
    scores, categories: sample.categories, group: sample.group, extra: sample.extra,
  };
}

/** Runs the model over a dataset, scoring and writing each prediction as it is produced. */
export async function evaluate(model: VisionLanguageModel, dataset: OpenedDataset, writer: PredictionWriter, opts: EvaluateOptions): Promise<EvaluateResult> {
  const chosen = opts.limit === undefined ? dataset.samples : dataset.samples.slice(0, opts.limit);
  const rows: ScoredSample[] = [];
  const timings = { visionMs: 0, generateMs: 0, images: 0, questions: 0 };
  for (const group of planByImage(chosen)) {
    let t = performance.now();
    const visual = await model.encodeImage(group[0]!.imagePath);
    timings.visionMs += performance.now() - t;
    timings.images += 1;
    for (const sample of group) {
      t = performance.now();
      const generation = await model.generate(visual, sample.question);
      timings.generateMs += performance.now() - t;
      const prediction = dataset.normalisePrediction(generation.text);
      const line = predictionLine(sample, prediction, opts.score(sample, prediction));
      writer.append(line);
      rows.push(line);
      timings.questions += 1;
      opts.onProgress?.(timings.questions, chosen.length);
    }
  }
  return { rows, timings };
}
