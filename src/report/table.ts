import chalk from 'chalk';
import Table from 'cli-table3';
import { RowVisibility } from '../metrics/categories.js';
import type { FamilyEntry, Interval, MetricValue } from '../metrics/types.js';

function num(v: number, digits = 2): string {
  return v.toFixed(digits);
}

function interval(i: Interval | undefined): string {
  return i ? `${num(i.low)}–${num(i.high)}` : '';
}

function valueCell(v: MetricValue): string {
  if (v.value === null) return chalk.dim('n/a');
  const text = num(v.value, v.digits ?? 2);
  return v.category === 'overall' ? chalk.bold(text) : text;
}

/** Width of the summary table's note column: notes wrap there, so the table stays within 100 columns. */
const NOTE_WIDTH = 40;

function newNotesTable(head: string[]): Table.Table {
  return new Table({
    head,
    colAligns: ['left', 'right', 'right', 'left'],
    style: { head: [], border: [] },
    colWidths: [null, null, null, NOTE_WIDTH + 10] as unknown as number[],
    wordWrap: true,
  });
}

function newTable(head: string[], lastAlign: 'left' | 'right' = 'right', noteWidth?: number): Table.Table {
  const widths = noteWidth ? { colWidths: [null, null, null, null, noteWidth] as unknown as number[], wordWrap: true } : {};
  return new Table({ head, colAligns: ['left', 'right', 'right', 'right', lastAlign], style: { head: [], border: [] }, ...widths });
}

/**
 * Terminal tables for a run: the per-category table of each multi-category metric (paper order), then
 * one summary table of the single-number metrics. Plain text when chalk has no colour (not a TTY, NO_COLOR).
 */
export function renderMetricTables(
  values: readonly MetricValue[],
  title: string,
  opts: { details?: boolean; families?: readonly FamilyEntry[] } = {},
): string {
  const visibility = new RowVisibility(opts.families, Boolean(opts.details));
  const byMetric = new Map<string, MetricValue[]>();
  for (const v of values) byMetric.set(v.metric, [...(byMetric.get(v.metric) ?? []), v]);
  const out = [chalk.bold(title)];
  const summary = newTable(['metric', 'n', 'value', '95% interval', 'note'], 'left', NOTE_WIDTH);
  for (const [metric, vals] of byMetric) {
    if (vals.length === 1) {
      const v = vals[0]!;
      const note = v.value === null ? chalk.dim(v.note ?? '') : v.higherIsBetter ? '' : chalk.dim('lower is better');
      summary.push([metric, String(v.n), valueCell(v), chalk.dim(interval(v.interval)), note]);
      continue;
    }
    const shown = visibility.shown(vals);
    const hasCluster = shown.some((v) => v.clusterInterval);
    const method = shown.find((v) => v.interval)?.interval?.method;
    // without intervals the fourth column holds notes: they wrap there, as in the summary table
    const table = method
      ? newTable(['category', 'n', metric, `95% ${method}`, ...(hasCluster ? ['95% by image'] : [])])
      : newNotesTable(['category', 'n', metric, 'note']);
    for (const v of shown) {
      const name = v.category === 'overall' ? chalk.bold(v.category) : v.category;
      table.push([
        name,
        String(v.n),
        valueCell(v),
        chalk.dim(v.value === null ? (v.note ?? '') : interval(v.interval) || (v.note ?? '')),
        ...(hasCluster ? [chalk.dim(interval(v.clusterInterval))] : []),
      ]);
    }
    out.push(table.toString());
    const hidden = vals.length - shown.length;
    if (hidden > 0) out.push(chalk.dim(`(${hidden} more rows by ${visibility.hiddenDescription(vals)}: --details, or run.json)`));
  }
  if (summary.length > 0) out.push(summary.toString());
  return out.join('\n');
}
