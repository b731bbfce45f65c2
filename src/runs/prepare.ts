import path from 'node:path';
import { datasetRegistry } from '../datasets/registry.js';
import type { DatasetAdapter, OpenedDataset } from '../datasets/types.js';
import { XfError } from '../lib/errors.js';
import { packageRoot } from '../lib/package-root.js';
import { metricRegistry } from '../metrics/registry.js';
import type { AggregateContext, Metric, MetricValue, ScoredSample } from '../metrics/types.js';
import { createRunDir, defaultRunDir } from './run-dir.js';

export interface PreparedEvaluation {
  adapter: DatasetAdapter;
  dataset: OpenedDataset;
  metrics: Metric[];
  ctx: AggregateContext;
}

/** Resolves the dataset (bundled default when no folder is given), its metrics and scoring context. */
export async function prepareEvaluation(datasetId: string, opts: { data?: string; choices?: string; allQuestions?: boolean; imageTemplate?: string }): Promise<PreparedEvaluation> {
  const adapter = await datasetRegistry().get(datasetId);
  const dir = opts.data ? path.resolve(opts.data) : path.join(packageRoot(), adapter.defaultDir);
  const dataset = await adapter.open(dir, { imageTemplate: opts.imageTemplate });
  const registry = metricRegistry();
  const metrics = await Promise.all(dataset.metrics.map((id) => registry.get(id)));
  const ctx: AggregateContext = { includeUnbalanced: opts.allQuestions };
  if (opts.choices) {
    if (adapter.id !== 'gqa') throw new XfError('E_FLAGS', '--choices applies to gqa only', { suggestion: 'Drop --choices.' });
    ctx.choices = await (await import('../datasets/gqa-choices.js')).loadGqaChoices(path.resolve(opts.choices));
  }
  return { adapter, dataset, metrics, ctx };
}

export async function createOutputDir(out: string | undefined, dataset: string, name: string): Promise<string> {
  const runDir = path.resolve(out ?? defaultRunDir(process.cwd(), dataset, name));
  await createRunDir(runDir);
  return runDir;
}

export function aggregateAll(metrics: readonly Metric[], rows: readonly ScoredSample[], ctx: AggregateContext): MetricValue[] {
  return metrics.flatMap((m) => m.aggregate(rows, ctx));
}

/** Relative to the working folder when inside it, absolute otherwise. */
export function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
}
