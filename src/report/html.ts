import type { MetricValue } from '../metrics/types.js';
import type { LoadedRun } from '../runs/read-run.js';

/** Escapes text for HTML element content and attribute values; every dataset string goes through it. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function n(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined ? 'n/a' : v.toFixed(digits);
}

function metricRows(values: readonly MetricValue[]): string {
  return values.map((v) => `<tr><td>${escapeHtml(v.metric)}</td><td>${escapeHtml(v.category)}</td><td>${v.n}</td><td>${n(v.value, 4)}</td>` +
    `<td>${v.interval ? `${n(v.interval.low)}–${n(v.interval.high)}` : ''}</td><td>${escapeHtml(v.note ?? '')}</td></tr>`).join('\n');
}

/**
 * A self-contained HTML report: metrics per category and the wrong answers, for reading in a browser.
 * No scripts, no external resources; dataset strings are always escaped.
 */
export function renderHtml(run: LoadedRun, maxExamples = 200): string {
  const title = `${run.record.dataset.id} · ${run.record.bundle?.name ?? String(run.record.config['name'] ?? '')}`;
  const wrong = run.rows.filter((r) => Object.values(r.scores).some((s) => s === 0)).slice(0, maxExamples);
  const examples = wrong.map((r) => `<tr><td>${escapeHtml(r.id)}</td><td>${escapeHtml(r.imageId)}</td><td>${escapeHtml(r.question)}</td>` +
    `<td>${escapeHtml(r.prediction)}</td><td>${escapeHtml(r.answers.slice(0, 3).join(' | '))}</td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}</style>
</head><body>
<h1>${escapeHtml(title)}</h1>
<p>${run.rows.length} questions · dataset sha256 ${escapeHtml(run.record.dataset.sha256.slice(0, 16))}… · xfbench ${escapeHtml(run.record.xfbenchVersion)}</p>
<h2>Metrics</h2>
<table><thead><tr><th>metric</th><th>category</th><th>n</th><th>value</th><th>95% interval</th><th>note</th></tr></thead>
<tbody>
${metricRows(run.record.metrics)}
</tbody></table>
<h2>Wrong answers (first ${wrong.length})</h2>
<table><thead><tr><th>id</th><th>image</th><th>question</th><th>prediction</th><th>gold</th></tr></thead>
<tbody>
${examples}
</tbody></table>
</body></html>
`;
}
