import chalk from 'chalk';
import Table from 'cli-table3';
import type { Comparison, ComparisonRow } from '../compare/compare.js';
import type { GateResult } from '../compare/gate.js';
import { RowVisibility } from '../metrics/categories.js';
import { num } from './html/escape.js';
import { escapeMarkdown, wrapText } from './markdown.js';

function f(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined || Number.isNaN(v) ? '' : num(v, digits);
}

function p(v: number | undefined): string {
  if (v === undefined) return '';
  return v < 0.0001 ? '<0.0001' : v.toFixed(4);
}

function signed(v: number | null): string {
  return v === null ? '' : `${v > 0 ? '+' : ''}${v.toFixed(2)}`;
}

function colour(r: ComparisonRow, text: string): string {
  if (r.verdict === 'better') return chalk.green(text);
  if (r.verdict === 'worse') return chalk.red(text);
  if (r.verdict === 'changed') return chalk.yellow(text);
  return text;
}

function ci(r: ComparisonRow): string {
  return r.deltaInterval ? `${f(r.deltaInterval.low)} … ${f(r.deltaInterval.high)}` : '';
}

/** What a row's verdict cell says: the verdict, or why there is none. */
function verdictText(r: ComparisonRow): string {
  return r.verdict === 'not tested' ? (r.note ?? 'not tested') : r.verdict;
}

/** The row above a family's rows: which family, and how many tests Holm adjusted over. */
function familyLabel(r: ComparisonRow): string {
  const adj = r.adjustment!;
  return adj.method === 'holm' ? `${adj.family}: Holm/${adj.tests}` : `${adj.family}: 1 test`;
}

const COMPACT = { 'mid': '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

/** One metric's paired rows, grouped under a line per family; fits 100 columns for the default rows. */
/** Rows grouped by the family their adjustment came from, families in order of first appearance. */
function byFamily(rows: readonly ComparisonRow[]): ComparisonRow[] {
  const order = new Map<string, number>();
  for (const r of rows) if (!order.has(r.adjustment?.family ?? '')) order.set(r.adjustment?.family ?? '', order.size);
  return rows
    .map((r, i) => ({ r, i }))
    .sort((x, y) => order.get(x.r.adjustment?.family ?? '')! - order.get(y.r.adjustment?.family ?? '')! || x.i - y.i)
    .map((x) => x.r);
}

function metricTable(rows: readonly ComparisonRow[]): string {
  const table = new Table({
    head: ['category', 'n', 'A', 'B', 'Δ B−A', 'CI of Δ', 'p adj.', 'verdict'],
    style: { head: [], border: [] },
    chars: COMPACT,
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  });
  let family: string | undefined;
  for (const r of byFamily(rows)) {
    if (r.adjustment && r.adjustment.family !== family) {
      family = r.adjustment.family;
      if (r.adjustment.family !== 'overall' || r.adjustment.method === 'holm')
        table.push([chalk.dim(familyLabel(r)), '', '', '', '', '', '', '']);
    }
    // why a row is untested goes once under the metric's name, not in every row
    table.push([
      r.category,
      String(r.n),
      f(r.a, 4),
      f(r.b, 4),
      colour(r, signed(r.delta)),
      ci(r),
      p(r.pAdjusted),
      r.test ? colour(r, r.verdict) : chalk.dim('not tested'),
    ]);
  }
  return table.toString();
}

/** The metric's name over its table, with the reasons its untested rows have no test. */
function metricHeading(metric: string, rows: readonly ComparisonRow[]): string {
  const reasons = [...new Set(rows.filter((r) => !r.test).map((r) => r.note ?? 'not tested'))];
  return [chalk.bold(metric), ...reasons.map((n) => chalk.dim(`— ${n}`))].join(' ');
}

/** Metrics with one untested row each (consistency, distribution, …): values side by side. */
function otherMetricsTable(rows: readonly ComparisonRow[]): string {
  const table = new Table({
    head: ['metric', 'A', 'B', 'Δ B−A', 'note'],
    style: { head: [], border: [] },
    chars: COMPACT,
    colAligns: ['left', 'right', 'right', 'right', 'left'],
    colWidths: [null, null, null, null, 44] as unknown as number[],
    wordWrap: true,
  });
  for (const r of rows) table.push([r.metric, f(r.a, 4), f(r.b, 4), signed(r.delta), chalk.dim(r.note ?? '')]);
  return table.toString();
}

export function compareTable(c: Comparison, gate?: GateResult, opts: { details?: boolean } = {}): string {
  const visibility = new RowVisibility(c.families, Boolean(opts.details));
  const shown = visibility.shown(c.rows);
  const lines = [
    chalk.bold(`compare ${c.dataset.id}: A = ${c.a.name}, B = ${c.b.name}, ${c.items.compared} paired items`),
    ...(c.items.onlyInA || c.items.onlyInB
      ? [chalk.yellow(`--intersect: dropped ${c.items.onlyInA} items only in A and ${c.items.onlyInB} only in B`)]
      : []),
    ...c.notes.map((n) => chalk.yellow(`note: ${n}`)),
  ];
  const metrics = [...new Set(shown.map((r) => r.metric))];
  const untested = metrics.filter((m) => shown.every((r) => r.metric !== m || (!r.test && r.category === 'overall')));
  for (const m of metrics.filter((x) => !untested.includes(x))) {
    const rows = shown.filter((r) => r.metric === m);
    lines.push(metricHeading(m, rows), metricTable(rows));
  }
  if (untested.length > 0) lines.push(otherMetricsTable(shown.filter((r) => untested.includes(r.metric))));
  lines.push(
    chalk.dim(
      wrapText(
        `p: sign-flip test over images (McNemar where every image has one question); overall is the primary test at α = ${c.alpha}, every other row is Holm-adjusted within its family ("structural: Holm/5"). CI of Δ: the shifts that test does not reject (${Math.round(100 * (1 - c.alpha))}%; ∞ where too few images rule nothing out; random patterns seeded ${c.signPatterns.seed}, ${c.signPatterns.iterations} draws). Verdict: better/worse when significant; no change when the interval lies within the metric's margin; too few images under ${c.minImages} (--min-images); otherwise inconclusive. --json and --format md add the minimum detectable effect and more.`,
      ),
    ),
  );
  const hidden = c.rows.length - shown.length;
  if (hidden > 0) lines.push(chalk.dim(`(${hidden} more rows by ${visibility.hiddenDescription(c.rows)}: --details or --json)`));
  if (gate && gate.checks.length > 0) lines.push(gateText(gate));
  return lines.join('\n');
}

function gateText(g: GateResult): string {
  const failed = g.checks.filter((c) => !c.passed);
  const skipped = g.checks.filter((c) => c.skipped);
  const also = skipped.length ? `, ${skipped.length} skipped` : '';
  const head = g.passed
    ? chalk.green.bold(`gate passed: ${g.checks.length} checks at α = ${g.alpha}${also}`)
    : chalk.red.bold(`gate FAILED: ${failed.length} of ${g.checks.length} checks at α = ${g.alpha}${also}`);
  return [
    head,
    ...failed.map((c) => chalk.red(`  ✗ ${c.metric} ${c.category}: ${c.reason}`)),
    ...skipped.map((c) => chalk.yellow(`  – ${c.metric} ${c.category}: ${c.reason}`)),
  ].join('\n');
}

export function compareMarkdown(c: Comparison, gate?: GateResult, opts: { details?: boolean } = {}): string {
  const lines = [
    `### xfbench compare · ${escapeMarkdown(c.dataset.id)}: ${escapeMarkdown(c.a.name)} (A) vs ${escapeMarkdown(c.b.name)} (B)`,
    '',
    `${c.items.compared} paired items${c.items.onlyInA || c.items.onlyInB ? ` (dropped ${c.items.onlyInA} only in A, ${c.items.onlyInB} only in B)` : ''}.`,
    ...c.notes.map((n) => `> Note: ${escapeMarkdown(n)}`),
    '',
    '| metric | category | n | A | B | Δ | CI of Δ | p (adj.) | adjusted within | MDE (80%) | verdict |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|---:|---|',
  ];
  for (const r of new RowVisibility(c.families, Boolean(opts.details)).shown(c.rows)) {
    const verdict = r.verdict === 'better' ? '🟢 better' : r.verdict === 'worse' ? '🔴 worse' : escapeMarkdown(verdictText(r));
    const within = !r.adjustment
      ? ''
      : r.adjustment.family === 'overall' && r.adjustment.method === 'none'
        ? 'primary'
        : `${escapeMarkdown(r.adjustment.family)} (${r.adjustment.tests})`;
    lines.push(
      `| ${escapeMarkdown(r.metric)} | ${escapeMarkdown(r.category)} | ${r.n} | ${f(r.a)} | ${f(r.b)} | ${signed(r.delta)} | ${ci(r)} | ${p(r.pAdjusted)} | ${within} | ${f(r.minimumDetectableEffect)} | ${verdict} |`,
    );
  }
  if (gate) {
    lines.push(
      '',
      gate.passed
        ? `**Gate passed** (${gate.checks.length} checks at α = ${gate.alpha}).`
        : `**Gate failed**: ${gate.checks.filter((x) => !x.passed).length} of ${gate.checks.length} checks at α = ${gate.alpha}.`,
    );
    for (const x of gate.checks.filter((y) => !y.passed || y.skipped))
      lines.push(
        `- ${x.skipped ? '⚪ skipped' : '❌'} \`${escapeMarkdown(x.metric)}\` ${escapeMarkdown(x.category)}: ${escapeMarkdown(x.reason)}`,
      );
  }
  return `${lines.join('\n')}\n`;
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** JUnit XML: one test case per gated category, so CI systems show which category failed. */
export function compareJunit(c: Comparison, gate?: GateResult): string {
  return compareJunitMany([{ comparison: c, gate }]);
}

/** One JUnit document for several candidates: a test suite per candidate. */
export function compareJunitMany(pairs: ReadonlyArray<{ comparison: Comparison; gate?: GateResult }>): string {
  const all = pairs.flatMap((x) => x.gate?.checks ?? []);
  const suites = pairs.flatMap(({ comparison: c, gate }) => {
    const checks = gate?.checks ?? [];
    const failures = checks.filter((x) => !x.passed).length;
    const skipped = checks.filter((x) => x.skipped).length;
    const cases = checks.map((x) => {
      const name = `${x.metric} ${x.category}`;
      const body = x.skipped
        ? `<skipped message="${xml(x.reason)}"/>`
        : x.passed
          ? ''
          : `\n      <failure message="${xml(x.reason)}" type="regression">${xml(`${c.a.name} -> ${c.b.name}: ${x.reason}`)}</failure>\n    `;
      return `    <testcase classname="xfbench.gate.${xml(c.dataset.id)}" name="${xml(name)}">${body}</testcase>`;
    });
    return [
      `  <testsuite name="gate ${xml(c.a.name)} vs ${xml(c.b.name)}" tests="${checks.length}" failures="${failures}" skipped="${skipped}">`,
      ...cases,
      '  </testsuite>',
    ];
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="xfbench" tests="${all.length}" failures="${all.filter((x) => !x.passed).length}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
