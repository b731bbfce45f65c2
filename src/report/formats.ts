import type { MetricValue } from '../metrics/types.js';
import { runName, type LoadedRun } from '../runs/read-run.js';
import { XfError } from '../lib/errors.js';
import { escapeMarkdown } from './markdown.js';
import { renderMetricTables } from './table.js';


function csvCell(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function fmt(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined ? '' : v.toFixed(digits);
}

function title(run: LoadedRun): string {
  return `${run.record.dataset.id} · ${runName(run)} · ${run.rows.length} questions`;
}

export function metricsMarkdown(values: readonly MetricValue[]): string {
  const lines = ['| metric | category | n | value | 95% interval |', '|---|---|---:|---:|---:|'];
  for (const v of values) {
    const ci = v.interval ? `${fmt(v.interval.low)}–${fmt(v.interval.high)}` : '';
    lines.push(`| ${escapeMarkdown(v.metric)} | ${escapeMarkdown(v.category)} | ${v.n} | ${v.value === null ? `n/a (${escapeMarkdown(v.note ?? '')})` : fmt(v.value, 4)} | ${ci} |`);
  }
  return `${lines.join('\n')}\n`;
}

export function metricsCsv(values: readonly MetricValue[]): string {
  const head = 'metric,category,n,value,ci_low,ci_high,cluster_ci_low,cluster_ci_high,higher_is_better,note';
  const rows = values.map((v) => [v.metric, v.category, String(v.n), fmt(v.value, 6), fmt(v.interval?.low, 6), fmt(v.interval?.high, 6),
    fmt(v.clusterInterval?.low, 6), fmt(v.clusterInterval?.high, 6), String(v.higherIsBetter), v.note ?? ''].map(csvCell).join(','));
  return `${[head, ...rows].join('\n')}\n`;
}

/** GQA's official predictions file: [{"questionId": ..., "prediction": ...}]. */
export function gqaPredictions(run: LoadedRun): string {
  if (run.record.dataset.id !== 'gqa') {
    throw new XfError('E_FORMAT', `gqa-predictions needs a gqa run, this one is ${run.record.dataset.id}`, { file: run.dir });
  }
  return `${JSON.stringify(run.rows.map((r) => ({ questionId: r.id, prediction: r.prediction })), null, 1)}\n`;
}

/** The formats of one run as text; `html` (one or several runs, with their comparison) is html/page.ts. */
export type RunFormat = 'table' | 'md' | 'csv' | 'gqa-predictions';

export function renderRun(run: LoadedRun, format: RunFormat, opts: { details?: boolean } = {}): string {
  switch (format) {
    case 'table': return `${renderMetricTables(run.record.metrics, title(run), { ...opts, families: run.record.families })}\n`;
    case 'md': return `### ${escapeMarkdown(title(run))}\n\n${metricsMarkdown(run.record.metrics)}`;
    case 'csv': return metricsCsv(run.record.metrics);
    case 'gqa-predictions': return gqaPredictions(run);
  }
}
