import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { XfError } from '../lib/errors.js';
import type { ScoredSample } from '../metrics/types.js';
import type { PredictionLine } from './prediction-line.js';
import { RESULTS_FILE, RESULTS_FORMAT_VERSION, RESULTS_META_KEY, type ResultsMeta } from './results-file.js';
import { PREDICTIONS_FILE } from './run-dir.js';

/** An open results.parquet: its layout and where to read it. */
export interface ResultsSource {
  file: string;
  meta: ResultsMeta;
  buffer: AsyncBuffer;
  metadata: FileMetaData;
}

export type ResultsState = { state: 'fresh'; source: ResultsSource } | { state: 'missing' | 'stale'; reason: string };

/**
 * A run's results.parquet, if it is there and describes predictions.jsonl as it is now (same size, a
 * format this xfbench reads). A stale or older file is not an error: readers fall back to the log.
 */
export async function openResults(dir: string): Promise<ResultsState> {
  const file = path.join(dir, RESULTS_FILE);
  if (!existsSync(file)) return { state: 'missing', reason: 'there was none' };
  let buffer: AsyncBuffer;
  let metadata: FileMetaData;
  try {
    buffer = await asyncBufferFromFile(file);
    metadata = await parquetMetadataAsync(buffer);
  } catch (err) {
    return { state: 'stale', reason: `${RESULTS_FILE} is not a readable Parquet file (${(err as Error).message})` };
  }
  const entry = metadata.key_value_metadata?.find((kv) => kv.key === RESULTS_META_KEY)?.value;
  let meta: ResultsMeta;
  try {
    meta = JSON.parse(entry ?? 'null') as ResultsMeta;
  } catch {
    return { state: 'stale', reason: `${RESULTS_FILE} has no readable xfbench metadata` };
  }
  if (meta?.version !== RESULTS_FORMAT_VERSION) return { state: 'stale', reason: `${RESULTS_FILE} is not of format ${RESULTS_FORMAT_VERSION}` };
  const logBytes = statSync(path.join(dir, PREDICTIONS_FILE), { throwIfNoEntry: false })?.size;
  if (logBytes !== meta.predictionsBytes)
    return { state: 'stale', reason: `${PREDICTIONS_FILE} changed after ${RESULTS_FILE} was written` };
  if (Number(metadata.num_rows) !== meta.rows) return { state: 'stale', reason: `${RESULTS_FILE} is incomplete` };
  return { state: 'fresh', source: { file, meta, buffer, metadata } };
}

type Columns = Record<string, ArrayLike<unknown>>;

/** Each row group's columns (only `columns`), one group at a time. */
export async function* rowGroupColumns(source: ResultsSource, columns: readonly string[]): AsyncGenerator<{ rows: number; columns: Columns }> {
  let groupStart = 0;
  for (const group of source.metadata.row_groups) {
    const rows = Number(group.num_rows);
    const parts: Record<string, { start: number; data: ArrayLike<unknown> }[]> = {};
    try {
      await parquetRead({
        file: source.buffer,
        metadata: source.metadata,
        columns: [...columns],
        rowStart: groupStart,
        rowEnd: groupStart + rows,
        onChunk: (c) => (parts[c.columnName] ??= []).push({ start: c.rowStart - groupStart, data: c.columnData }),
      });
    } catch (err) {
      throw new XfError('E_RUN_CORRUPT', `${RESULTS_FILE} cannot be read (${(err as Error).message})`, {
        file: source.file,
        suggestion: 'Write it again from predictions.jsonl: xfbench upgrade RUN_DIR --force.',
      });
    }
    yield { rows, columns: Object.fromEntries(columns.map((name) => [name, joined(parts[name] ?? [], rows)])) };
    groupStart += rows;
  }
}

/** A column's chunks as one array of the group's length (one chunk, the common case, as it is). */
function joined(chunks: readonly { start: number; data: ArrayLike<unknown> }[], rows: number): ArrayLike<unknown> {
  if (chunks.length === 1 && chunks[0]!.start === 0 && chunks[0]!.data.length === rows) return chunks[0]!.data;
  const out = new Array<unknown>(rows).fill(null);
  for (const { start, data } of chunks) for (let i = 0; i < data.length; i++) out[start + i] = data[i];
  return out;
}

/** The columns a scorer reads (a ScoredSample's fields). */
function scoredColumns(meta: ResultsMeta): string[] {
  return [
    'id',
    'group',
    'prediction',
    'answers',
    ...meta.categories.map((k) => `category.${k}`),
    ...meta.scores.map((k) => `score.${k}`),
    ...Object.keys(meta.extra).map((k) => `extra.${k}`),
    'overflow',
  ];
}

/** The rest of a prediction line's fields. */
const LINE_ONLY_COLUMNS = ['image_id', 'question', 'prompt', 'raw', 'error_code', 'error_message'];

/** Lines handed on at a time: short-lived objects are cheap to collect, a row group's worth is not. */
const LINE_BATCH = 1024;

interface Overflow {
  categories?: Record<string, string | null>;
  scores?: Record<string, number>;
  extra?: Record<string, unknown>;
}

/** The file's rows as prediction lines, exactly as predictions.jsonl holds them, in dataset order. */
export async function* readResultLines(source: ResultsSource): AsyncGenerator<PredictionLine> {
  for await (const batch of resultLineBatches(source)) yield* batch;
}

/** The same lines, in batches. */
export function resultLineBatches(source: ResultsSource): AsyncGenerator<PredictionLine[]> {
  return resultBatches(source, true) as AsyncGenerator<PredictionLine[]>;
}

/** The rows as scored samples only (what compare verifies and aggregates): the question text, prompt and the like are not read. */
export function resultSampleBatches(source: ResultsSource): AsyncGenerator<ScoredSample[]> {
  return resultBatches(source, false);
}

async function* resultBatches(source: ResultsSource, wholeLines: boolean): AsyncGenerator<ScoredSample[]> {
  const { meta } = source;
  const extraKeys = Object.keys(meta.extra);
  const columns = [...scoredColumns(meta), ...(wholeLines ? LINE_ONLY_COLUMNS : [])];
  for await (const { rows, columns: c } of rowGroupColumns(source, columns)) {
    // the columns of the group, looked up once (not per row)
    const [ids, groups, predictions, answers, overflows] = ['id', 'group', 'prediction', 'answers', 'overflow'].map((name) => c[name]!);
    const categoryColumns = meta.categories.map((k) => c[`category.${k}`]!);
    const scoreColumns = meta.scores.map((k) => c[`score.${k}`]!);
    const extraColumns = extraKeys.map((k) => c[`extra.${k}`]!);
    for (let start = 0; start < rows; start += LINE_BATCH) {
      const batch: ScoredSample[] = [];
      for (let i = start; i < Math.min(rows, start + LINE_BATCH); i++) {
        const categories: Record<string, string | null> = {};
        for (let j = 0; j < categoryColumns.length; j++) categories[meta.categories[j]!] = (categoryColumns[j]![i] ?? null) as string | null;
        const scores: Record<string, number> = {};
        for (let j = 0; j < scoreColumns.length; j++) {
          const v = scoreColumns[j]![i];
          if (v !== null && v !== undefined) scores[meta.scores[j]!] = v as number;
        }
        const extra: Record<string, unknown> = {};
        for (let j = 0; j < extraColumns.length; j++) {
          const v = extraColumns[j]![i];
          if (v !== null && v !== undefined) extra[extraKeys[j]!] = v;
        }
        const overflow = overflows![i] as Overflow | null;
        if (overflow) {
          Object.assign(categories, overflow.categories);
          Object.assign(scores, overflow.scores);
          Object.assign(extra, overflow.extra);
        }
        const id = ids![i] as string;
        const prediction = predictions![i] as string;
        const group = groups![i] as string;
        batch.push(
          wholeLines
            ? wholeLine(c, i, { id, prediction, answers: answers![i] as string[], scores, categories, group, extra })
            : { id, group, categories, extra, prediction, answers: answers![i] as string[], scores },
        );
      }
      yield batch;
    }
  }
}

/** A scored sample with the rest of its line, in predictions.jsonl's field order. */
function wholeLine(c: Columns, i: number, s: ScoredSample): PredictionLine {
  const line: PredictionLine = {
    id: s.id,
    imageId: c['image_id']![i] as string,
    question: c['question']![i] as string,
    prediction: s.prediction,
    answers: s.answers,
    scores: s.scores,
    categories: s.categories,
    group: s.group,
    extra: s.extra,
  };
  const raw = c['raw']![i];
  if (typeof raw === 'string') line.raw = raw;
  const prompt = c['prompt']![i];
  if (typeof prompt === 'string') line.prompt = prompt;
  const code = c['error_code']![i];
  if (typeof code === 'string') line.error = { code, message: (c['error_message']![i] ?? '') as string };
  return line;
}
