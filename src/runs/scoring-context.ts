import path from 'node:path';
import { datasetRegistry } from '../datasets/registry.js';
import type { DatasetAdapter } from '../datasets/types.js';
import { XfError } from '../lib/errors.js';
import type { AggregateContext } from '../metrics/types.js';
import type { AnswerSettings } from './run-config.js';

/** The ids of the datasets whose adapter has a property, for the message that refuses a flag elsewhere. */
async function datasetsWith(has: (a: DatasetAdapter) => boolean): Promise<string> {
  const registry = datasetRegistry();
  const adapters = await Promise.all(registry.ids().map((id) => registry.get(id)));
  return adapters.filter(has).map((a) => a.id).join(', ');
}

/**
 * What the metrics need besides the stored rows, from a run's scoring settings: whether to count the
 * questions a benchmark leaves out of its official split, and the answer choices its adapter reads from
 * a choices file. One place for `run`, `score`, `merge` and `compare`, which re-reads a run's file.
 */
export async function scoringContext(adapter: DatasetAdapter, settings: Pick<AnswerSettings, 'allQuestions' | 'choices'>): Promise<AggregateContext> {
  if (settings.allQuestions && !adapter.officialSubset) {
    throw new XfError('E_FLAGS', `--all-questions applies to ${await datasetsWith((a) => Boolean(a.officialSubset))} only (${adapter.id} scores every question anyway)`, { suggestion: 'Drop --all-questions.' });
  }
  const ctx: AggregateContext = { includeUnbalanced: settings.allQuestions };
  if (settings.choices) {
    if (!adapter.loadChoices) throw new XfError('E_FLAGS', `--choices applies to ${await datasetsWith((a) => Boolean(a.loadChoices))} only`, { suggestion: 'Drop --choices.' });
    ctx.choices = await adapter.loadChoices(path.resolve(settings.choices));
  }
  return ctx;
}
