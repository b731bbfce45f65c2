import chalk from 'chalk';
import Table from 'cli-table3';
import type { Comparison, ComparisonRow } from '../compare/compare.js';
import type { GateResult } from '../compare/gate.js';
import { RowVisibility } from '../metrics/categories.js';
import { escapeMarkdown } from './markdown.js';

function f(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined || Number.isNaN(v) ? '' : v.toFixed(digits);
}

function p(v: number | undefined): string {
  if (v === undefined) return '';
  return v < 0.0001 ? '<0.0001' : v.toFixed(4);
}

function signed(v: number | null): string {
  return v === null ? '' : `${v > 0 ? '+' : ''}${v.toFixed(2)}`;
}

function visibility(c: Comparison, details: boolean): RowVisibility {
  return new RowVisibility(c.families, details);
}

function colour(r: ComparisonRow, text: string): string {
  if (r.verdict === 'better') return chalk.green(text);
  if (r.verdict === 'worse') return chalk.red(text);
  return text;
}

export function compareTable(c: Comparison, gate?: GateResult, opts: { details?: boolean } = {}): string {
  const head = ['metric', 'category', 'n', `A ${c.a.name}`, `B ${c.b.name}`, 'Δ B−A', '95% CI of Δ', 'p', 'p Holm', 'verdict'];
  const table = new Table({ head, style: { head: [], border: [] }, colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'] });
  const shown = visibility(c, Boolean(opts.details));
  for (const r of shown.shown(c.rows)) {
    const ci = r.deltaInterval ? `${f(r.deltaInterval.low)} … ${f(r.deltaInterval.high)}` : '';
    table.push([r.metric, r.category, String(r.n), f(r.a, 4), f(r.b, 4), colour(r, signed(r.delta)), ci, p(r.test?.p), p(r.pHolm), colour(r, r.verdict === 'not tested' ? chalk.dim(r.note ?? 'not tested') : r.verdict)]);
  }
  const lines = [
    chalk.bold(`compare ${c.dataset.id}: A = ${c.a.name}, B = ${c.b.name}, ${c.items.compared} paired items`),
    ...(c.items.onlyInA || c.items.onlyInB ? [chalk.yellow(`--intersect: dropped ${c.items.onlyInA} items only in A and ${c.items.onlyInB} only in B`)] : []),
    table.toString(),
    chalk.dim(`Δ interval: paired bootstrap over images/groups (seed ${c.bootstrap.seed}, ${c.bootstrap.iterations} iterations); p: McNemar (exact binomial, chi-square with continuity correction above 200 discordant pairs) or paired bootstrap; Holm across each metric's categories; significant at ${c.alpha}.`),
  ];
  const hidden = c.rows.length - shown.shown(c.rows).length;
  if (hidden > 0) lines.push(chalk.dim(`(${hidden} more rows by ${shown.hiddenDescription(c.rows)}: --details or --json)`));
  if (gate) lines.push(gateText(gate));
  return lines.join('\n');
}

function gateText(g: GateResult): string {
  const failed = g.checks.filter((c) => !c.passed);
  const head = g.passed ? chalk.green.bold(`gate passed: ${g.checks.length} checks`) : chalk.red.bold(`gate FAILED: ${failed.length} of ${g.checks.length} checks`);
  return [head, ...failed.map((c) => chalk.red(`  ✗ ${c.metric} ${c.category}: ${c.reason}`))].join('\n');
}

export function compareMarkdown(c: Comparison, gate?: GateResult, opts: { details?: boolean } = {}): string {
  const lines = [
    `### xfbench compare · ${escapeMarkdown(c.dataset.id)}: ${escapeMarkdown(c.a.name)} (A) vs ${escapeMarkdown(c.b.name)} (B)`,
    '',
    `${c.items.compared} paired items${c.items.onlyInA || c.items.onlyInB ? ` (dropped ${c.items.onlyInA} only in A, ${c.items.onlyInB} only in B)` : ''}.`,
    '',
    '| metric | category | n | A | B | Δ | 95% CI of Δ | p (Holm) | verdict |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of visibility(c, Boolean(opts.details)).shown(c.rows)) {
    const ci = r.deltaInterval ? `${f(r.deltaInterval.low)} … ${f(r.deltaInterval.high)}` : '';
    const verdict = r.verdict === 'better' ? '🟢 better' : r.verdict === 'worse' ? '🔴 worse' : escapeMarkdown(r.verdict === 'not tested' ? (r.note ?? 'not tested') : r.verdict);
    lines.push(`| ${escapeMarkdown(r.metric)} | ${escapeMarkdown(r.category)} | ${r.n} | ${f(r.a)} | ${f(r.b)} | ${signed(r.delta)} | ${ci} | ${p(r.pHolm)} | ${verdict} |`);
  }
  if (gate) {
    lines.push('', gate.passed ? `**Gate passed** (${gate.checks.length} checks).` : `**Gate failed**: ${gate.checks.filter((x) => !x.passed).length} of ${gate.checks.length} checks.`);
    for (const x of gate.checks.filter((y) => !y.passed)) lines.push(`- ❌ \`${escapeMarkdown(x.metric)}\` ${escapeMarkdown(x.category)}: ${escapeMarkdown(x.reason)}`);
  }
  return `${lines.join('\n')}\n`;
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** JUnit XML: one test case per gated category, so CI systems show which category failed. */
export function compareJunit(c: Comparison, gate?: GateResult): string {
  const checks = gate?.checks ?? [];
  const failures = checks.filter((x) => !x.passed).length;
  const cases = checks.map((x) => {
    const name = `${x.metric} ${x.category}`;
    const body = x.passed ? '' : `\n      <failure message="${xml(x.reason)}" type="regression">${xml(`${c.a.name} -> ${c.b.name}: ${x.reason}`)}</failure>\n    `;
    return `    <testcase classname="xfbench.gate.${xml(c.dataset.id)}" name="${xml(name)}">${body}</testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="xfbench" tests="${checks.length}" failures="${failures}">`,
    `  <testsuite name="gate ${xml(c.a.name)} vs ${xml(c.b.name)}" tests="${checks.length}" failures="${failures}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
