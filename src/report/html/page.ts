import { createHash } from 'node:crypto';
import type { Comparison, ComparisonRow } from '../../compare/types.js';
import { RowVisibility } from '../../metrics/categories.js';
import type { FamilyEntry, MetricValue } from '../../metrics/types.js';
import { runName, type RunHeader } from '../../runs/read-run.js';
import { barChart, pairedChart, type PairedBar } from './charts.js';
import { escapeHtml, num } from './escape.js';
import { renderGallery } from './gallery.js';
import { REPORT_SCRIPT, REPORT_STYLE } from './assets.js';

/** The families of a metric's categories that tables show by default, each with its categories, in order. */
function shownFamilies(families: readonly FamilyEntry[] | undefined, metric: string): FamilyEntry[] {
  return (families ?? []).filter((f) => f.metric === metric && f.shownByDefault);
}

function intervalOf(v: MetricValue | undefined): { low: number; high: number } | undefined {
  const i = v?.clusterInterval ?? v?.interval;
  return i ? { low: i.low, high: i.high } : undefined;
}

/** One run: a chart per shown family of each per-category metric (GQA: answer kind, structural, semantic). */
function runCharts(run: RunHeader): string {
  const out: string[] = [];
  const metrics = [...new Set(run.record.metrics.map((v) => v.metric))];
  for (const metric of metrics) {
    const values = run.record.metrics.filter((v) => v.metric === metric);
    if (values.length < 2) continue;
    const overall = values.find((v) => v.category === 'overall');
    for (const family of shownFamilies(run.record.families, metric)) {
      const bars = [overall, ...family.categories.map((c) => values.find((v) => v.category === c))]
        .filter((v): v is MetricValue => Boolean(v))
        .map((v) => ({ label: v.category, value: v.value, ...intervalOf(v) }));
      out.push(barChart(`${metric} by ${family.description}`, bars));
    }
  }
  return out.join('\n');
}

function pairedBar(row: ComparisonRow, runA: RunHeader, runB: RunHeader): PairedBar {
  const find = (run: RunHeader) => run.record.metrics.find((v) => v.metric === row.metric && v.category === row.category);
  const ci = row.deltaInterval ? ` [${num(row.deltaInterval.low)}, ${num(row.deltaInterval.high)}]` : '';
  const delta = row.delta === null ? 'n/a' : `${row.delta > 0 ? '+' : ''}${num(row.delta)}`;
  return {
    label: row.category,
    a: row.a,
    b: row.b,
    aInterval: intervalOf(find(runA)),
    bInterval: intervalOf(find(runB)),
    summary: `Δ ${delta}${ci} ${row.verdict}`,
    verdict: row.verdict,
  };
}

/** A candidate against the baseline: bars side by side per shown family, with Δ, its interval and the verdict. */
function comparisonCharts(c: Comparison, runA: RunHeader, runB: RunHeader): string {
  const out: string[] = [];
  const shown = new RowVisibility(c.families, false).shown(c.rows);
  for (const metric of [...new Set(shown.filter((r) => r.test).map((r) => r.metric))]) {
    const rows = shown.filter((r) => r.metric === metric);
    const overall = rows.filter((r) => r.category === 'overall');
    const families = c.families.filter((f) => f.metric === metric && f.shownByDefault);
    for (const family of families.length > 0 ? families : [undefined]) {
      const members = family ? rows.filter((r) => family.categories.includes(r.category)) : [];
      out.push(
        pairedChart(
          `${metric}${family ? ` by ${family.description}` : ''}: ${c.a.name} (grey) vs ${c.b.name} (blue)`,
          [...overall, ...members].map((r) => pairedBar(r, runA, runB)),
        ),
      );
    }
  }
  return out.join('\n');
}

function metricsTable(run: RunHeader): string {
  const rows = run.record.metrics
    .map(
      (v) =>
        `<tr><td>${escapeHtml(v.metric)}</td><td>${escapeHtml(v.category)}</td><td>${v.n}</td><td>${num(v.value, 4)}</td>` +
        `<td>${v.interval ? `${num(v.interval.low)}–${num(v.interval.high)}` : ''}</td><td>${v.clusterInterval ? `${num(v.clusterInterval.low)}–${num(v.clusterInterval.high)}` : ''}</td><td>${escapeHtml(v.note ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<details><summary>Every figure of ${escapeHtml(runName(run))} (${run.record.metrics.length} rows)</summary><table><thead><tr><th>metric</th><th>category</th><th>n</th><th>value</th><th>95% interval</th><th>95% by image</th><th>note</th></tr></thead><tbody>\n${rows}\n</tbody></table></details>`;
}

function provenance(runs: readonly RunHeader[]): string {
  const row = (r: RunHeader) => {
    const rec = r.record;
    const settings = Object.entries(rec.config)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(', ');
    const speed =
      rec.timings['questionsPerSecond'] !== undefined
        ? `${num(rec.timings['questionsPerSecond'], 1)} q/s, ${num((rec.timings['wallMs'] ?? 0) / 1000, 1)} s`
        : '';
    return (
      `<tr><td>${escapeHtml(runName(r))}</td><td>${escapeHtml(rec.kind)}${rec.bundle ? ` · ${escapeHtml(rec.bundle.fusionKind)} · bundle ${escapeHtml(rec.bundle.sha256.slice(0, 12))}` : ''}${rec.predictionsSource ? ` · from ${escapeHtml(rec.predictionsSource.format)} ${escapeHtml(rec.predictionsSource.sha256.slice(0, 12))}` : ''}</td>` +
      `<td>${escapeHtml(rec.dataset.id)} ${escapeHtml(rec.dataset.sha256.slice(0, 12))} · ${rec.dataset.evaluated} of ${rec.dataset.questions}</td><td>${escapeHtml(rec.provider ? rec.provider.used : '')}</td><td>${escapeHtml(speed)}</td>` +
      `<td>xfbench ${escapeHtml(rec.xfbenchVersion)}${rec.gitCommit ? ` @ ${escapeHtml(rec.gitCommit.slice(0, 10))}` : ''} · ${escapeHtml(rec.createdAt)}</td><td class="settings">${escapeHtml(settings)}</td></tr>`
    );
  };
  return `<table class="provenance"><thead><tr><th>run</th><th>what</th><th>dataset</th><th>provider</th><th>speed</th><th>made by</th><th>settings</th></tr></thead><tbody>${runs.map(row).join('')}</tbody></table>`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64');
}

/**
 * A self-contained HTML report of one run, or of a baseline and candidates with their comparisons:
 * charts with intervals (inline SVG), Δ with its interval and verdict, provenance, and a filterable
 * gallery of samples with thumbnails. No network: everything is inline, and the Content-Security-Policy
 * allows only this page's own script and style (by hash) and data: images.
 */
export async function renderHtmlReport(
  runs: readonly RunHeader[],
  comparisons: readonly Comparison[] = [],
  opts: { galleryLimit?: number } = {},
): Promise<string> {
  const names = runs.map(runName);
  const gallery = await renderGallery(runs, names, opts.galleryLimit);
  const title = `${runs[0]!.record.dataset.id} · ${names.join(' vs ')}`;
  const charts =
    comparisons.length > 0 ? comparisons.map((c, k) => comparisonCharts(c, runs[0]!, runs[k + 1]!)).join('\n') : runCharts(runs[0]!);
  const kindOptions = [
    ['', 'every sample'],
    ...(runs.length > 1
      ? [
          ['a-right-b-wrong', `${names[0]} right, ${names[1]} wrong`],
          ['a-wrong-b-right', `${names[0]} wrong, ${names[1]} right`],
        ]
      : []),
    ['wrong', 'wrong in some run'],
    ['error', 'failed (bad input)'],
  ];
  const csp = `default-src 'none'; img-src data:; style-src '${`sha256-${sha256(REPORT_STYLE)}`}'; script-src '${`sha256-${sha256(REPORT_SCRIPT)}`}'; base-uri 'none'; form-action 'none'`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${REPORT_STYLE}</style>
</head><body>
<h1>${escapeHtml(title)}</h1>
<section id="provenance"><h2>What ran</h2>${provenance(runs)}</section>
<section id="charts"><h2>${comparisons.length > 0 ? 'Against the baseline' : 'By category'}</h2>
<p class="legend">Bars: the value; whiskers: its 95% interval (by image where questions share images).${comparisons.length > 0 ? " Δ: B − A with its paired 95% interval; the verdict is compare's (significant rows in colour)." : ''}</p>
${charts || '<p>No per-category figures.</p>'}
${runs.map(metricsTable).join('\n')}
</section>
<section id="gallery"><h2>Samples</h2>
<p class="note">${gallery.shown} of ${gallery.total} samples embedded (disagreements first, then wrong answers, then the rest)${gallery.withImages < gallery.shown ? `; ${gallery.shown - gallery.withImages} without a picture (the dataset folder is not where the run read it)` : ''}.</p>
<form id="filters"><label>show <select id="f-kind">${kindOptions.map(([v, l]) => `<option value="${escapeHtml(v!)}">${escapeHtml(l!)}</option>`).join('')}</select></label>
<label>category <select id="f-cat"><option value="">any</option>${gallery.categories.map((c) => `<option value="${escapeHtml(c)}">${escapeHtml(c)}</option>`).join('')}</select></label>
<label>search <input id="f-text" type="search" placeholder="question or answer"></label> <output id="shown">${gallery.shown}</output> shown</form>
<div id="cards">
${gallery.html}
</div></section>
<script>${REPORT_SCRIPT}</script>
</body></html>
`;
}
