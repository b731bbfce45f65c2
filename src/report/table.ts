import chalk from 'chalk';
import Table from 'cli-table3';
import type { MetricValue } from '../metrics/types.js';

function pct(v: number): string {
  return v.toFixed(2);
}

/** The per-category table: one row per category, value with its 95% interval. */
export function renderMetricTable(values: readonly MetricValue[], title: string): string {
  const table = new Table({
    head: ['category', 'n', 'accuracy %', '95% interval'],
    colAligns: ['left', 'right', 'right', 'right'],
    style: { head: [], border: [] },
  });
  for (const v of values) {
    const name = v.category === 'overall' ? chalk.bold(v.category) : v.category;
    if (v.value === null) {
      table.push([name, String(v.n), chalk.dim('n/a'), chalk.dim(v.note ?? '')]);
      continue;
    }
    const interval = v.interval ? `${pct(v.interval.low)}–${pct(v.interval.high)}` : '';
    table.push([name, String(v.n), v.category === 'overall' ? chalk.bold(pct(v.value)) : pct(v.value), chalk.dim(interval)]);
  }
  return `${chalk.bold(title)}\n${table.toString()}`;
}

/** A one-line progress bar for stderr (only drawn when stderr is a terminal). */
export function progressLine(done: number, total: number, startedMs: number): string {
  const width = 30;
  const filled = Math.round((done / Math.max(total, 1)) * width);
  const rate = done / Math.max((performance.now() - startedMs) / 1000, 1e-3);
  return `\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} ${rate.toFixed(1)} q/s`;
}
