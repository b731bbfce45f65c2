import { escapeHtml, num } from './escape.js';

/** One category's bar: its value and, when known, the interval drawn as a whisker. */
export interface Bar {
  label: string;
  value: number | null;
  low?: number;
  high?: number;
}

export interface PairedBar {
  label: string;
  a: number | null;
  b: number | null;
  aInterval?: { low: number; high: number };
  bInterval?: { low: number; high: number };
  /** "+0.77 [-0.53, 1.98] inconclusive" */
  summary: string;
  /** better / worse / changed: drawn in colour. */
  verdict: string;
}

const LABEL_W = 170;
const PLOT_W = 360;
const ROW_H = 22;

/** The upper end of a chart's scale: 100 for percentages, else the largest value or bound, rounded up. */
function scaleMax(values: readonly (number | null | undefined)[]): number {
  const top = Math.max(0, ...values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)));
  if (top <= 100 && top > 1) return 100;
  return top > 0 ? top * 1.1 : 1;
}

function x(v: number, max: number): number {
  return LABEL_W + (Math.max(0, Math.min(v, max)) / max) * PLOT_W;
}

function whisker(low: number | undefined, high: number | undefined, y: number, max: number): string {
  if (low === undefined || high === undefined || !Number.isFinite(low) || !Number.isFinite(high)) return '';
  const [x1, x2] = [x(low, max), x(high, max)];
  return (
    `<line class="whisker" x1="${x1.toFixed(1)}" x2="${x2.toFixed(1)}" y1="${y}" y2="${y}"/>` +
    `<line class="whisker" x1="${x1.toFixed(1)}" x2="${x1.toFixed(1)}" y1="${y - 4}" y2="${y + 4}"/><line class="whisker" x1="${x2.toFixed(1)}" x2="${x2.toFixed(1)}" y1="${y - 4}" y2="${y + 4}"/>`
  );
}

function axis(height: number, max: number): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) => t * max);
  return ticks
    .map(
      (t) =>
        `<line class="grid" x1="${x(t, max).toFixed(1)}" x2="${x(t, max).toFixed(1)}" y1="0" y2="${height}"/>` +
        `<text class="tick" x="${x(t, max).toFixed(1)}" y="${height + 12}">${num(t, max > 10 ? 0 : 2)}</text>`,
    )
    .join('');
}

/** Horizontal bars, one per category, with interval whiskers: one run. */
export function barChart(title: string, bars: readonly Bar[]): string {
  const max = scaleMax(bars.flatMap((b) => [b.value, b.high]));
  const height = bars.length * ROW_H + 6;
  const rows = bars
    .map((b, i) => {
      const y = i * ROW_H + 4;
      const bar =
        b.value === null
          ? ''
          : `<rect class="bar-a" x="${LABEL_W}" y="${y}" width="${(x(b.value, max) - LABEL_W).toFixed(1)}" height="${ROW_H - 8}"/>`;
      return (
        `<text class="label" x="${LABEL_W - 6}" y="${y + 11}">${escapeHtml(b.label)}</text>${bar}${whisker(b.low, b.high, y + (ROW_H - 8) / 2, max)}` +
        `<text class="value" x="${LABEL_W + PLOT_W + 8}" y="${y + 11}">${num(b.value)}</text>`
      );
    })
    .join('');
  return figure(title, height, `${axis(height, max)}${rows}`);
}

/** Two bars per category (A, then B) with their intervals, and Δ with its interval and the verdict beside them. */
export function pairedChart(title: string, bars: readonly PairedBar[]): string {
  const max = scaleMax(bars.flatMap((b) => [b.a, b.b, b.aInterval?.high, b.bInterval?.high]));
  const rowH = ROW_H * 1.6;
  const height = Math.round(bars.length * rowH + 6);
  const rows = bars
    .map((b, i) => {
      const y = Math.round(i * rowH + 4);
      const h = (rowH - 10) / 2;
      const rect = (cls: string, v: number | null, top: number) =>
        v === null
          ? ''
          : `<rect class="${cls}" x="${LABEL_W}" y="${top}" width="${(x(v, max) - LABEL_W).toFixed(1)}" height="${h.toFixed(1)}"/>`;
      return (
        `<text class="label" x="${LABEL_W - 6}" y="${y + h + 3}">${escapeHtml(b.label)}</text>` +
        rect('bar-a', b.a, y) +
        whisker(b.aInterval?.low, b.aInterval?.high, y + h / 2, max) +
        rect('bar-b', b.b, y + h + 1) +
        whisker(b.bInterval?.low, b.bInterval?.high, y + h * 1.5 + 1, max) +
        `<text class="value verdict-${escapeHtml(b.verdict.replace(/\s+/g, '-'))}" x="${LABEL_W + PLOT_W + 8}" y="${y + h + 3}">${escapeHtml(b.summary)}</text>`
      );
    })
    .join('');
  return figure(title, height, `${axis(height, max)}${rows}`);
}

function figure(title: string, height: number, body: string): string {
  const width = LABEL_W + PLOT_W + 250;
  return (
    `<figure class="chart"><figcaption>${escapeHtml(title)}</figcaption>` +
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${width} ${height + 16}" width="${width}" height="${height + 16}">${body}</svg></figure>`
  );
}
