import chalk from 'chalk';
import Table from 'cli-table3';
import type { SuiteRecord } from '../suites/suite-file.js';
import { escapeHtml } from './html/escape.js';
import { escapeMarkdown } from './markdown.js';

function interval(v: SuiteRecord['members'][number]['headline']): string {
  const i = v?.clusterInterval ?? v?.interval;
  return i ? `${i.low.toFixed(2)}–${i.high.toFixed(2)}` : '';
}

function value(v: SuiteRecord['members'][number]['headline']): string {
  return v?.value === null || v?.value === undefined ? 'n/a' : v.value.toFixed(2);
}

function title(s: SuiteRecord): string {
  return `suite ${s.name} · ${s.bundle.name} · ${s.members.length} benchmarks`;
}

/** One row per benchmark: its headline metric overall, with the interval (by image where questions share images). */
export function suiteTable(s: SuiteRecord): string {
  const table = new Table({
    head: ['benchmark', 'dataset', 'n', 'metric', 'value', '95% interval'],
    style: { head: [], border: [] },
    colAligns: ['left', 'left', 'right', 'left', 'right', 'right'],
  });
  for (const m of s.members)
    table.push([
      m.name,
      m.dataset,
      String(m.questions),
      m.headline?.metric ?? '',
      chalk.bold(value(m.headline)),
      chalk.dim(interval(m.headline)),
    ]);
  return [chalk.bold(title(s)), table.toString()].join('\n');
}

export function suiteMarkdown(s: SuiteRecord): string {
  const rows = s.members.map(
    (m) =>
      `| ${escapeMarkdown(m.name)} | ${escapeMarkdown(m.dataset)} | ${m.questions} | ${escapeMarkdown(m.headline?.metric ?? '')} | ${value(m.headline)} | ${interval(m.headline)} |`,
  );
  return [
    `### ${escapeMarkdown(title(s))}`,
    '',
    '| benchmark | dataset | n | metric | value | 95% interval |',
    '|---|---|---:|---|---:|---:|',
    ...rows,
    '',
  ].join('\n');
}

/** A small self-contained page (no script); each member's own report comes from `xfbench report <suite>/<member> --format html`. */
export function suiteHtml(s: SuiteRecord): string {
  const rows = s.members
    .map(
      (m) =>
        `<tr><td>${escapeHtml(m.name)}</td><td>${escapeHtml(m.dataset)}</td><td>${m.questions}</td><td>${escapeHtml(m.headline?.metric ?? '')}</td><td>${value(m.headline)}</td><td>${interval(m.headline)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'">
<title>${escapeHtml(title(s))}</title>
</head><body>
<h1>${escapeHtml(title(s))}</h1>
<p>${s.bundle.endpoint ? `served at ${escapeHtml(s.bundle.endpoint)}` : `bundle sha256 ${escapeHtml(s.bundle.sha256.slice(0, 16))}…`} · xfbench ${escapeHtml(s.xfbenchVersion)} · ${escapeHtml(s.createdAt)}</p>
<table border="1" cellpadding="4"><thead><tr><th>benchmark</th><th>dataset</th><th>n</th><th>metric</th><th>value</th><th>95% interval</th></tr></thead><tbody>
${rows}
</tbody></table>
</body></html>
`;
}
