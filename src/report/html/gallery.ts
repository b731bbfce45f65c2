import sharp from 'sharp';
import { datasetRegistry } from '../../datasets/registry.js';
import { streamDataset } from '../../datasets/types.js';
import { metricRegistry } from '../../metrics/registry.js';
import type { PredictionLine } from '../../runs/prediction-line.js';
import { forEachAligned } from '../../runs/aligned-lines.js';
import { loadRun, type RunHeader } from '../../runs/read-run.js';
import { escapeHtml } from './escape.js';

/** Samples embedded at most: a 100k-question run still gives a file a browser opens at once. */
export const DEFAULT_GALLERY_LIMIT = 240;
const THUMBNAIL_PX = 112;

/** The per-sample scores that say right (1) or wrong (0): each 0/1 per-question metric's key, in the run's metric order. */
async function rightnessKeys(run: RunHeader): Promise<string[]> {
  const registry = metricRegistry();
  const ids = [...new Set(run.record.metrics.map((m) => m.metric))].filter((id) => registry.has(id));
  const metrics = await Promise.all(ids.map((id) => registry.get(id)));
  return metrics.flatMap((m) => (m.perSample?.binary && !m.neutral ? [m.perSample.key] : []));
}

function isRight(row: PredictionLine, keys: readonly string[]): boolean | undefined {
  const key = keys.find((k) => k in row.scores);
  return key === undefined ? undefined : row.scores[key] === 1;
}

/** Image files of the given sample ids, from the run's dataset folder (empty when it is gone). */
async function imagePaths(run: RunHeader, ids: ReadonlySet<string>): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const registry = datasetRegistry();
  if (!registry.has(run.record.dataset.id)) return found;
  try {
    const template = run.record.config.imageTemplate;
    const dataset = await streamDataset(await registry.get(run.record.dataset.id), run.record.dataset.dir, {
      imageTemplate: template ?? undefined,
    });
    for await (const s of dataset.samples()) if (ids.has(s.id)) found.set(s.id, s.imagePath);
  } catch {
    // the data moved or changed since the run: the gallery goes without pictures, and says so
  }
  return found;
}

async function thumbnail(file: string | undefined): Promise<string | undefined> {
  if (!file) return undefined;
  try {
    const jpeg = await sharp(file, { failOn: 'error' })
      .resize(THUMBNAIL_PX, THUMBNAIL_PX, { fit: 'inside' })
      .jpeg({ quality: 70 })
      .toBuffer();
    return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
  } catch {
    return undefined;
  }
}

interface Sample {
  id: string;
  rows: PredictionLine[];
  right: (boolean | undefined)[];
  kinds: string[];
}

/** How a sample stands across the runs: which filters find it. A / B are the baseline and the first candidate. */
function kindsOf(rows: readonly PredictionLine[], right: readonly (boolean | undefined)[]): string[] {
  const kinds: string[] = [];
  if (right.length > 1 && right[0] === true && right[1] === false) kinds.push('a-right-b-wrong');
  if (right.length > 1 && right[0] === false && right[1] === true) kinds.push('a-wrong-b-right');
  if (right.some((r) => r === false)) kinds.push('wrong');
  if (rows.some((r) => r.error)) kinds.push('error');
  return kinds;
}

/** Discordant first, then wrong or failed, then the rest; dataset order within each. */
function priority(s: Sample): number {
  if (s.kinds.includes('a-right-b-wrong') || s.kinds.includes('a-wrong-b-right')) return 0;
  if (s.kinds.includes('wrong') || s.kinds.includes('error')) return 1;
  return 2;
}

export interface Gallery {
  html: string;
  shown: number;
  total: number;
  categories: string[];
  withImages: number;
}

/**
 * The samples to show, chosen as the questions stream past: the first `limit` of each priority in
 * dataset order, so the gallery of a million-question run holds a few hundred lines, not a million.
 */
class GallerySelection {
  private readonly buckets: Sample[][] = [[], [], []];
  total = 0;

  constructor(
    private readonly limit: number,
    private readonly keys: readonly string[][],
  ) {}

  add(rows: readonly PredictionLine[]): void {
    this.total += 1;
    const right = rows.map((r, k) => isRight(r, this.keys[k]!));
    const sample = { id: rows[0]!.id, rows: [...rows], right, kinds: kindsOf(rows, right) };
    const bucket = this.buckets[priority(sample)]!;
    if (bucket.length < this.limit) bucket.push(sample);
  }

  /** By priority, then dataset order, up to the limit. */
  chosen(): Sample[] {
    return this.buckets.flat().slice(0, this.limit);
  }
}

/** The samples every run answered, side by side: streamed where the runs line up, else paired by id in memory. */
async function selectSamples(runs: readonly RunHeader[], keys: readonly string[][], limit: number): Promise<GallerySelection> {
  const streamed = new GallerySelection(limit, keys);
  if ((await forEachAligned(runs, (rows) => streamed.add(rows))) === 'aligned') return streamed;
  const selection = new GallerySelection(limit, keys);
  const loaded = await Promise.all(runs.map(loadRun));
  const byId = loaded.map((r) => new Map(r.rows.map((row) => [row.id, row])));
  for (const row of loaded[0]!.rows) {
    const rows = byId.map((m) => m.get(row.id));
    if (rows.every((r) => r !== undefined)) selection.add(rows as PredictionLine[]);
  }
  return selection;
}

/** Cards for the samples every run answered, chosen by `priority` up to `limit`, each with its thumbnail. */
export async function renderGallery(runs: readonly RunHeader[], names: readonly string[], limit = DEFAULT_GALLERY_LIMIT): Promise<Gallery> {
  const keys = await Promise.all(runs.map((r) => rightnessKeys(r)));
  const selection = await selectSamples(runs, keys, limit);
  const chosen = selection.chosen();
  const paths = await imagePaths(runs[0]!, new Set(chosen.map((s) => s.id)));
  const thumbs = await Promise.all(chosen.map((s) => thumbnail(paths.get(s.id))));
  const categories = new Set<string>();
  const cards = chosen
    .map((s, k) => {
      const first = s.rows[0]!;
      const cats = Object.entries(first.categories)
        .filter(([, v]) => v !== null)
        .map(([label, v]) => `${label}/${v}`);
      cats.forEach((c) => categories.add(c));
      const answers = s.rows
        .map((r, j) => {
          const mark = s.right[j] === undefined ? '' : s.right[j] ? '✓' : '✗';
          const cls = s.right[j] === undefined ? '' : s.right[j] ? ' right' : ' wrong';
          // the answer as scored, and as the model gave it where normalisation changed it
          const raw = r.raw !== undefined ? ` <span class="raw">(raw: ${escapeHtml(r.raw)})</span>` : '';
          return `<li class="answer${cls}"><span class="who">${escapeHtml(names[j]!)}</span> ${mark} ${escapeHtml(r.prediction || (r.error ? `(${r.error.code})` : '(empty)'))}${raw}</li>`;
        })
        .join('');
      const text = [first.question, ...first.answers, ...s.rows.map((r) => r.prediction)].join(' ').toLowerCase();
      const img = thumbs[k]
        ? `<img class="thumb" alt="image ${escapeHtml(first.imageId)}" src="${thumbs[k]}">`
        : '<div class="thumb none">no image</div>';
      return (
        `<article class="card" data-kinds="${escapeHtml(s.kinds.join(' '))}" data-cats="${escapeHtml(cats.join('|'))}" data-text="${escapeHtml(text)}">${img}` +
        `<div class="body"><p class="q">${escapeHtml(first.question)}</p><p class="gold">gold: ${escapeHtml(first.answers.slice(0, 3).join(' | '))}</p>` +
        `<ul>${answers}</ul><p class="meta">${escapeHtml(first.id)} · image ${escapeHtml(first.imageId)} · ${escapeHtml(cats.join(', '))}</p></div></article>`
      );
    })
    .join('\n');
  return {
    html: cards,
    shown: chosen.length,
    total: selection.total,
    categories: [...categories].sort(),
    withImages: thumbs.filter(Boolean).length,
  };
}
