import { renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SchemaElement } from 'hyparquet';
import { fileWriter, ParquetWriter, type ColumnSource } from 'hyparquet-writer';
import type { PredictionLine } from './prediction-line.js';
import { PREDICTIONS_FILE } from './run-dir.js';

/**
 * results.parquet: a finished run's predictions as one columnar file, one row per question in dataset
 * order, beside the append-only predictions.jsonl (which stays the crash-safe log). pandas, polars and
 * DuckDB read it as it is; `compare`, `report` and the gate read only the columns they need.
 *
 * Columns: id, image_id, group, question, prompt, prediction, raw, answers (list of strings),
 * error_code, error_message, then `category.<family>` (string), `score.<key>` (double) and
 * `extra.<key>` (string, double or boolean when every value of the first row group has that type,
 * else JSON text). A key the first row group did not have, or a value of another type than its
 * column's, goes to the `overflow` JSON column, so the file holds every line exactly.
 */
export const RESULTS_FILE = 'results.parquet';
/** The file's key-value metadata entry describing it (ResultsMeta as JSON). */
export const RESULTS_META_KEY = 'xfbench.results';
export const RESULTS_FORMAT_VERSION = 1;
/** Questions per row group: a reader holds one group of the columns it reads at a time. */
export const ROW_GROUP = 32_768;

export type ExtraType = 'string' | 'double' | 'boolean' | 'json';

export interface ResultsMeta {
  version: number;
  rows: number;
  /** predictions.jsonl's size when this file was written: a different size means the file is stale. */
  predictionsBytes: number;
  categories: string[];
  scores: string[];
  extra: Record<string, ExtraType>;
}

interface Overflow {
  categories?: Record<string, string | null>;
  scores?: Record<string, number>;
  extra?: Record<string, unknown>;
}

function typeOfValues(values: readonly unknown[]): ExtraType {
  const present = values.filter((v) => v !== undefined);
  if (present.length > 0 && present.every((v) => typeof v === 'string')) return 'string';
  if (present.length > 0 && present.every((v) => typeof v === 'number')) return 'double';
  if (present.length > 0 && present.every((v) => typeof v === 'boolean')) return 'boolean';
  return 'json';
}

/** Whether a value has a place in its column (a JSON null does not: a null cell reads as "absent"). */
function fits(type: ExtraType, v: unknown): boolean {
  return type === 'json' ? v !== null : typeof v === (type === 'double' ? 'number' : type);
}

/** A column's schema element; every column but the question's own fields may be null. */
function element(name: string, cell: ExtraType, required = false): SchemaElement {
  const repetition_type = required ? 'REQUIRED' : 'OPTIONAL';
  if (cell === 'double') return { name, type: 'DOUBLE', repetition_type };
  if (cell === 'boolean') return { name, type: 'BOOLEAN', repetition_type };
  return { name, type: 'BYTE_ARRAY', converted_type: cell === 'json' ? 'JSON' : 'UTF8', repetition_type };
}

/** The file's schema: flat columns, with `answers` a list of strings (pandas reads it as arrays, DuckDB as VARCHAR[]). */
function schemaOf(meta: Pick<ResultsMeta, 'categories' | 'scores' | 'extra'>): SchemaElement[] {
  const columns: SchemaElement[][] = [
    [element('id', 'string', true)],
    [element('image_id', 'string', true)],
    [element('group', 'string', true)],
    [element('question', 'string', true)],
    [element('prompt', 'string')],
    [element('prediction', 'string', true)],
    [element('raw', 'string')],
    [
      { name: 'answers', repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      element('element', 'string', true),
    ],
    [element('error_code', 'string')],
    [element('error_message', 'string')],
    ...meta.categories.map((key) => [element(`category.${key}`, 'string')]),
    ...meta.scores.map((key) => [element(`score.${key}`, 'double')]),
    ...Object.entries(meta.extra).map(([key, type]) => [element(`extra.${key}`, type)]),
    [element('overflow', 'json')],
  ];
  return [{ name: 'root', num_children: columns.length }, ...columns.flat()];
}

/** The columns of one row group of lines, under the layout the first group fixed. */
function columnsOf(lines: readonly PredictionLine[], meta: ResultsMeta): ColumnSource[] {
  const overflow: (Overflow | null)[] = lines.map(() => null);
  const spill = (i: number, part: keyof Overflow, key: string, value: unknown) => {
    const o = (overflow[i] ??= {});
    ((o[part] ??= {}) as Record<string, unknown>)[key] = value;
  };
  lines.forEach((l, i) => {
    for (const key in l.categories) if (!meta.categories.includes(key)) spill(i, 'categories', key, l.categories[key]);
    for (const key in l.scores) if (!meta.scores.includes(key)) spill(i, 'scores', key, l.scores[key]);
    for (const key in l.extra) {
      const type = meta.extra[key];
      if (type === undefined || !fits(type, l.extra[key])) spill(i, 'extra', key, l.extra[key]);
    }
  });
  // JSON cells are given as values: the writer encodes them
  const column = (name: string, get: (l: PredictionLine) => unknown): ColumnSource => ({ name, data: lines.map((l) => get(l) ?? null) });
  return [
    column('id', (l) => l.id),
    column('image_id', (l) => l.imageId),
    column('group', (l) => l.group),
    column('question', (l) => l.question),
    column('prompt', (l) => l.prompt),
    column('prediction', (l) => l.prediction),
    column('raw', (l) => l.raw),
    column('answers', (l) => l.answers),
    column('error_code', (l) => l.error?.code),
    column('error_message', (l) => l.error?.message),
    // a category that is null reads back as null: the two are one in every scorer
    ...meta.categories.map((key) => column(`category.${key}`, (l) => l.categories[key])),
    ...meta.scores.map((key) => column(`score.${key}`, (l) => l.scores[key])),
    ...Object.entries(meta.extra).map(([key, type]) => column(`extra.${key}`, (l) => (fits(type, l.extra[key]) ? l.extra[key] : null))),
    { name: 'overflow', data: overflow },
  ];
}

/** The layout a run's first row group fixes: its category families, score keys and extra fields with their types. */
function layoutOf(lines: readonly PredictionLine[]): Pick<ResultsMeta, 'categories' | 'scores' | 'extra'> {
  const keys = (pick: (l: PredictionLine) => object) => [...new Set(lines.flatMap((l) => Object.keys(pick(l))))];
  const extraKeys = keys((l) => l.extra);
  return {
    categories: keys((l) => l.categories),
    scores: keys((l) => l.scores),
    extra: Object.fromEntries(extraKeys.map((k) => [k, typeOfValues(lines.map((l) => l.extra[k]))])),
  };
}

/**
 * Writes results.parquet from lines given in dataset order, a row group at a time (memory holds one
 * group), into a temporary file renamed into place by `finish`; `abandon` removes it.
 */
export class ResultsFileWriter {
  private pending: PredictionLine[] = [];
  private writer?: ParquetWriter;
  private meta?: Omit<ResultsMeta, 'rows' | 'predictionsBytes'>;
  private rows = 0;
  private readonly temp: string;

  /** `rowGroup`: questions per row group (ROW_GROUP; smaller in tests, to cross group boundaries). */
  constructor(
    private readonly dir: string,
    private readonly rowGroup = ROW_GROUP,
  ) {
    this.temp = path.join(dir, `.${RESULTS_FILE}.partial`);
  }

  add(line: PredictionLine): void {
    this.pending.push(line);
    if (this.pending.length >= this.rowGroup) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    if (!this.meta) this.meta = { version: RESULTS_FORMAT_VERSION, ...layoutOf(this.pending) };
    const columnData = columnsOf(this.pending, { ...this.meta, rows: 0, predictionsBytes: 0 });
    this.writer ??= new ParquetWriter({ writer: fileWriter(this.temp), schema: schemaOf(this.meta), createdBy: 'xfbench' });
    this.writer.write({ columnData, rowGroupSize: this.rowGroup });
    this.rows += this.pending.length;
    this.pending = [];
  }

  /** Completes the file; the metadata records predictions.jsonl's size now, which later readers check. */
  finish(): void {
    if (this.rows === 0 && this.pending.length === 0) {
      this.abandon(); // a run without questions has nothing to tabulate
      return;
    }
    this.flush();
    const meta: ResultsMeta = { ...this.meta!, rows: this.rows, predictionsBytes: statSync(path.join(this.dir, PREDICTIONS_FILE)).size };
    this.writer!.kvMetadata = [{ key: RESULTS_META_KEY, value: JSON.stringify(meta) }];
    this.writer!.finish();
    renameSync(this.temp, path.join(this.dir, RESULTS_FILE));
  }

  abandon(): void {
    rmSync(this.temp, { force: true });
  }
}
