import path from 'node:path';
import { datasetRegistry } from '../datasets/registry.js';
import { streamDataset, type DatasetAdapter, type StreamedDataset } from '../datasets/types.js';
import { XfError } from '../lib/errors.js';
import { packageRoot } from '../lib/package-root.js';
import { metricRegistry } from '../metrics/registry.js';
import { scoringContext } from '../runs/scoring-context.js';
import type { AggregateContext, Metric } from '../metrics/types.js';

export interface OpenedEvaluation {
  adapter: DatasetAdapter;
  dataset: StreamedDataset;
  metrics: Metric[];
  ctx: AggregateContext;
}

/** Where the data is and how it is scored, as `run` and `score` take them from the command line. */
export interface DatasetOptions {
  data?: string;
  choices?: string;
  allQuestions?: boolean;
  imageTemplate?: string;
  /** `score` reads no image: the images folder may be absent. */
  imagesOptional?: boolean;
}

/** `--data`, or the adapter's bundled mini set; an adapter that ships none needs `--data`. */
export function datasetDir(adapter: Pick<DatasetAdapter, 'id' | 'defaultDir' | 'layout'>, data: string | undefined): string {
  if (data) return path.resolve(data);
  if (!adapter.defaultDir)
    throw new XfError('E_DATA_DIR', `xfbench ships no mini set for ${adapter.id}`, { suggestion: `Pass --data DIR (${adapter.layout}).` });
  return path.join(packageRoot(), adapter.defaultDir);
}

/**
 * The adapter, the dataset in its folder (the bundled mini set when none is given), streamed, its
 * metrics and scoring context.
 */
export async function openEvaluation(datasetId: string, opts: DatasetOptions): Promise<OpenedEvaluation> {
  const adapter = await datasetRegistry().get(datasetId);
  if (opts.imageTemplate !== undefined && !adapter.takesImageTemplate) {
    throw new XfError('E_FLAGS', `--image-template does not apply to ${adapter.id} (its files name their images)`, {
      suggestion: 'Drop --image-template.',
    });
  }
  const dir = datasetDir(adapter, opts.data);
  const ctx = await scoringContext(adapter, { allQuestions: Boolean(opts.allQuestions), choices: opts.choices ?? null });
  const dataset = await streamDataset(adapter, dir, { imageTemplate: opts.imageTemplate, imagesOptional: opts.imagesOptional });
  const metrics = await Promise.all(dataset.metrics.map((id) => metricRegistry().get(id)));
  return { adapter, dataset, metrics, ctx };
}
