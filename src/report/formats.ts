import type { MetricValue } from '../metrics/types.js';
import { readRun, runName, type LoadedRun, type RunHeader } from '../runs/read-run.js';
import { datasetRegistry } from '../datasets/registry.js';
import type { DatasetAdapter } from '../datasets/types.js';
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

/**
 * A benchmark's official predictions file (its adapter's `exportPredictions`), from a run of a
 * dataset whose adapter writes that format.
 */
export async function officialPredictions(run: RunHeader, format: string): Promise<string> {
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
  const rows = 'rows' in run ? (run as LoadedRun).rows : (await readRun(run.dir)).rows;
  return own.exportPredictions!.render(rows);
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
