import type { MetricValue } from '../metrics/types.js';
import { runLineBatches, runName, type RunHeader } from '../runs/read-run.js';
import { datasetRegistry } from '../datasets/registry.js';
import type { DatasetAdapter, PredictionsExport } from '../datasets/types.js';
import { XfError } from '../lib/errors.js';
import { escapeMarkdown } from './markdown.js';
import { renderMetricTables } from './table.js';

function csvCell(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function fmt(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined ? '' : v.toFixed(digits);
}

function title(run: RunHeader): string {
  return `${run.record.dataset.id} · ${runName(run)} · ${run.record.dataset.evaluated} questions`;
}

export function metricsMarkdown(values: readonly MetricValue[]): string {
  const lines = ['| metric | category | n | value | 95% interval |', '|---|---|---:|---:|---:|'];
  for (const v of values) {
    const ci = v.interval ? `${fmt(v.interval.low)}–${fmt(v.interval.high)}` : '';
    lines.push(
      `| ${escapeMarkdown(v.metric)} | ${escapeMarkdown(v.category)} | ${v.n} | ${v.value === null ? `n/a (${escapeMarkdown(v.note ?? '')})` : fmt(v.value, 4)} | ${ci} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function metricsCsv(values: readonly MetricValue[]): string {
  const head = 'metric,category,n,value,ci_low,ci_high,cluster_ci_low,cluster_ci_high,higher_is_better,note';
  const rows = values.map((v) =>
    [
      v.metric,
      v.category,
      String(v.n),
      fmt(v.value, 6),
      fmt(v.interval?.low, 6),
      fmt(v.interval?.high, 6),
      fmt(v.clusterInterval?.low, 6),
      fmt(v.clusterInterval?.high, 6),
      String(v.higherIsBetter),
      v.note ?? '',
    ]
      .map(csvCell)
      .join(','),
  );
  return `${[head, ...rows].join('\n')}\n`;
}

/** The adapter that writes `format` for this run, or a one-line refusal naming the formats there are. */
async function exporterFor(run: RunHeader, format: string): Promise<PredictionsExport> {
  const adapters = await allAdapters();
  const writers = adapters.filter((a) => a.exportPredictions?.format === format);
  if (writers.length === 0) {
    const known = adapters.flatMap((a) => (a.exportPredictions ? [a.exportPredictions.format] : []));
    throw new XfError('E_FORMAT', `unknown report format ${format}`, {
      suggestion: `Use table, md, csv, html or ${[...new Set(known)].join(', ')}.`,
    });
  }
  const own = writers.find((a) => a.id === run.record.dataset.id);
  if (!own)
    throw new XfError('E_FORMAT', `${format} needs a ${writers.map((a) => a.id).join(' or ')} run, this one is ${run.record.dataset.id}`, {
      file: run.dir,
    });
  return own.exportPredictions!;
}

/**
 * A benchmark's official predictions file (its adapter's `exportPredictions`) in pieces, from the
 * run's lines as they stream past: a million-question run's file is written without being held.
 */
export async function* officialPredictionPieces(run: RunHeader, format: string): AsyncGenerator<string> {
  yield* framedPieces(await exporterFor(run, format), runLineBatches(run));
}

/** An export's file from batches of answers: its frame around the entries, a batch's worth a piece. */
export async function* framedPieces(
  { entry, frame }: PredictionsExport,
  batches: AsyncIterable<readonly { id: string; prediction: string }[]> | Iterable<readonly { id: string; prediction: string }[]>,
): AsyncGenerator<string> {
  let first = true;
  for await (const batch of batches) {
    if (batch.length === 0) continue;
    yield `${first ? frame.open : frame.separator}${batch.map(entry).join(frame.separator)}`;
    first = false;
  }
  yield `${first ? frame.empty : frame.close}\n`;
}

/** The same file as one string. */
export async function officialPredictions(run: RunHeader, format: string): Promise<string> {
  let text = '';
  for await (const piece of officialPredictionPieces(run, format)) text += piece;
  return text;
}

async function allAdapters(): Promise<DatasetAdapter[]> {
  const registry = datasetRegistry();
  return Promise.all(registry.ids().map((id) => registry.get(id)));
}

/** The formats of one run as text besides the official predictions files; `html` (one or several runs, with their comparison) is html/page.ts. */
export type RunFormat = 'table' | 'md' | 'csv';

export async function renderRun(run: RunHeader, format: RunFormat | string, opts: { details?: boolean } = {}): Promise<string> {
  switch (format) {
    case 'table':
      return `${renderMetricTables(run.record.metrics, title(run), { ...opts, families: run.record.families })}\n`;
    case 'md':
      return `### ${escapeMarkdown(title(run))}\n\n${metricsMarkdown(run.record.metrics)}`;
    case 'csv':
      return metricsCsv(run.record.metrics);
    default:
      return officialPredictions(run, format);
  }
}
