import path from 'node:path';
import { datasetRegistry } from '../datasets/registry.js';
import type { DatasetAdapter, StreamedDataset } from '../datasets/types.js';
import { XfError } from '../lib/errors.js';
import { packageRoot } from '../lib/package-root.js';
import { metricRegistry } from '../metrics/registry.js';
import type { Accumulator, AggregateContext, Metric, ScoredSample } from '../metrics/types.js';
import { createRunDir, defaultRunDir } from './run-dir.js';

export interface PreparedEvaluation {
  adapter: DatasetAdapter;
  dataset: StreamedDataset;
  metrics: Metric[];
  ctx: AggregateContext;
}

interface DatasetOptions {
  data?: string;
  choices?: string;
  allQuestions?: boolean;
  imageTemplate?: string;
}

/**
 * The adapter, the dataset in its folder (the bundled mini set when none is given; streamed where the
 * adapter can, held in memory otherwise), its metrics and scoring context.
 */
export async function prepareStreamingEvaluation(datasetId: string, opts: DatasetOptions): Promise<PreparedEvaluation> {
  const adapter = await datasetRegistry().get(datasetId);
  const dir = opts.data ? path.resolve(opts.data) : path.join(packageRoot(), adapter.defaultDir);
  const ctx: AggregateContext = { includeUnbalanced: opts.allQuestions };
  if (opts.choices) {
    if (adapter.id !== 'gqa') throw new XfError('E_FLAGS', '--choices applies to gqa only', { suggestion: 'Drop --choices.' });
    ctx.choices = await (await import('../datasets/gqa-choices.js')).loadGqaChoices(path.resolve(opts.choices));
  }
  let dataset: StreamedDataset;
  if (adapter.stream) dataset = await adapter.stream(dir, { imageTemplate: opts.imageTemplate });
  else {
    const opened = await adapter.open(dir, { imageTemplate: opts.imageTemplate });
    dataset = { ...opened, samples: () => toAsync(opened.samples), hash: () => opened.hash };
  }
  const metrics = await Promise.all(dataset.metrics.map((id) => metricRegistry().get(id)));
  return { adapter, dataset, metrics, ctx };
}

async function* toAsync<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

/** The metric's accumulator; for a metric without one, an accumulator that keeps the rows. */
export function accumulatorFor(metric: Metric, ctx: AggregateContext): Accumulator {
  if (metric.accumulate) return metric.accumulate(ctx);
  const rows: ScoredSample[] = [];
  return { add: (r) => rows.push(r), finish: () => metric.aggregate(rows, ctx) };
}

export async function createOutputDir(out: string | undefined, dataset: string, name: string): Promise<string> {
  const runDir = path.resolve(out ?? defaultRunDir(process.cwd(), dataset, name));
  await createRunDir(runDir);
  return runDir;
}

/** Relative to the working folder when inside it, absolute otherwise. */
export function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
}
