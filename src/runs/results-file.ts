import { renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SchemaElement } from 'hyparquet';
import { fileWriter, ParquetWriter } from 'hyparquet-writer';
import { readPredictionLines, type PredictionLine } from './prediction-line.js';
import { PREDICTIONS_FILE } from './run-dir.js';

/**
 * results.parquet: a finished run's predictions as one columnar file, one row per question in dataset
 * order, beside the append-only predictions.jsonl (which stays the crash-safe log). pandas, polars and
 * DuckDB read it as it is; `compare`, `report` and the gate read only the columns they need.
 *
 * Columns: id, image_id, group, question, prompt, prediction, raw, answers (list of strings),
 * error_code, error_message, then `category.<family>` (string), `score.<key>` (double) and
 * `extra.<key>` (string, double or boolean when every value of the first lines has that type, else
 * JSON text). A key the first lines did not have, or a value of another type than its
 * column's, goes to the `overflow` JSON column, so the file holds every line exactly.
 */
export const RESULTS_FILE = 'results.parquet';
/** The file's key-value metadata entry describing it (ResultsMeta as JSON). */
export const RESULTS_META_KEY = 'xfbench.results';
export const RESULTS_FORMAT_VERSION = 1;
/** Questions per row group: a reader holds one group of the columns it reads at a time. */
export const ROW_GROUP = 8_192;
/** The first lines, from which the layout (which keys get a column, of which type) is fixed. */
const LAYOUT_SAMPLE = 1024;

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
function schemaOf(meta: Layout): SchemaElement[] {
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

type Layout = Pick<ResultsMeta, 'categories' | 'scores' | 'extra'>;

/**
 * A column: its name, the cell a line gives it (JSON cells as values: the writer encodes them), and
 * whether its cells are text (`text`) or lists of text (`texts`), which flush() encodes to UTF-8.
 */
interface ColumnSpec {
  name: string;
  cell(l: PredictionLine): unknown;
  kind?: 'text' | 'texts';
}

/** The file's columns under a layout; `overflow` holds what the layout has no column for. */
function columnSpecs(layout: Layout): ColumnSpec[] {
  const categories = new Set(layout.categories);
  const scores = new Set(layout.scores);
  const overflowOf = (l: PredictionLine): Overflow | null => {
    let o: Overflow | null = null;
    const spill = (part: keyof Overflow, key: string, value: unknown) => {
      o ??= {};
      ((o[part] ??= {}) as Record<string, unknown>)[key] = value;
    };
    for (const key in l.categories) if (!categories.has(key)) spill('categories', key, l.categories[key]);
    for (const key in l.scores) if (!scores.has(key)) spill('scores', key, l.scores[key]);
    for (const key in l.extra) {
      const type = layout.extra[key];
      if (type === undefined || !fits(type, l.extra[key])) spill('extra', key, l.extra[key]);
    }
    return o;
  };
  const spec = (name: string, cell: (l: PredictionLine) => unknown, kind?: ColumnSpec['kind']): ColumnSpec => ({ name, cell, kind });
  const text = (name: string, cell: (l: PredictionLine) => unknown) => spec(name, cell, 'text');
  return [
    text('id', (l) => l.id),
    text('image_id', (l) => l.imageId),
    text('group', (l) => l.group),
    text('question', (l) => l.question),
    text('prompt', (l) => l.prompt),
    text('prediction', (l) => l.prediction),
    text('raw', (l) => l.raw),
    spec('answers', (l) => l.answers, 'texts'),
    text('error_code', (l) => l.error?.code),
    text('error_message', (l) => l.error?.message),
    // a category that is null reads back as null: the two are one in every scorer
    ...layout.categories.map((key) => text(`category.${key}`, (l) => l.categories[key])),
    ...layout.scores.map((key) => spec(`score.${key}`, (l) => l.scores[key])),
    ...Object.entries(layout.extra).map(([key, type]) =>
      spec(`extra.${key}`, (l) => (fits(type, l.extra[key]) ? l.extra[key] : null), type === 'string' ? 'text' : undefined),
    ),
    spec('overflow', overflowOf),
  ];
}

/** The layout the first lines fix: their category families, score keys and extra fields with their types. */
function layoutOf(lines: readonly PredictionLine[]): Layout {
  const keys = (pick: (l: PredictionLine) => object) => [...new Set(lines.flatMap((l) => Object.keys(pick(l))))];
  const extraKeys = keys((l) => l.extra);
  return {
    categories: keys((l) => l.categories),
    scores: keys((l) => l.scores),
    extra: Object.fromEntries(extraKeys.map((k) => [k, typeOfValues(lines.map((l) => l.extra[k]))])),
  };
}

/**
 * Text cells as UTF-8, each distinct string of a row group encoded once into a shared buffer, where
 * the writer would encode every cell into a Uint8Array of its own (categories, groups, predictions
 * and gold answers repeat across a group).
 */
class Utf8Cells {
  private readonly views = new Map<string, Uint8Array>();

  encode(cells: readonly unknown[]): unknown[] {
    let bytes = 0;
    const fresh: string[] = [];
    for (const v of cells)
      if (typeof v === 'string' && !this.views.has(v)) {
        this.views.set(v, EMPTY);
        fresh.push(v);
        bytes += Buffer.byteLength(v);
      }
    const buffer = Buffer.alloc(bytes);
    let at = 0;
    for (const v of fresh) {
      const n = buffer.write(v, at);
      this.views.set(v, buffer.subarray(at, at + n));
      at += n;
    }
    return cells.map((v) => (typeof v === 'string' ? this.views.get(v)! : v));
  }
}

const EMPTY = new Uint8Array(0);

/**
 * Writes results.parquet from lines given in dataset order, a row group at a time (memory holds one
 * group), into a temporary file renamed into place by `finish`; `abandon` removes it.
 */
export class ResultsFileWriter {
  /** Lines held until the layout is fixed; after that, lines are taken apart into `cells` as they come. */
  private sample: PredictionLine[] = [];
  private layout?: Layout;
  private specs: ColumnSpec[] = [];
  private cells: unknown[][] = [];
  private writer?: ParquetWriter;
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
    if (!this.layout) {
      this.sample.push(line);
      if (this.sample.length >= Math.min(LAYOUT_SAMPLE, this.rowGroup)) this.fixLayout();
      return;
    }
    this.take(line);
  }

  private fixLayout(): void {
    this.layout = layoutOf(this.sample);
    this.specs = columnSpecs(this.layout);
    this.cells = this.specs.map(() => []);
    const sample = this.sample;
    this.sample = [];
    for (const line of sample) this.take(line);
  }

  private take(line: PredictionLine): void {
    for (let j = 0; j < this.specs.length; j++) this.cells[j]!.push(this.specs[j]!.cell(line) ?? null);
    if (this.cells[0]!.length >= this.rowGroup) this.flush();
  }

  private flush(): void {
    const n = this.cells[0]?.length ?? 0;
    if (n === 0) return;
    this.writer ??= new ParquetWriter({ writer: fileWriter(this.temp), schema: schemaOf(this.layout!), createdBy: 'xfbench', statistics: false });
    const utf8 = new Utf8Cells();
    const data = (spec: ColumnSpec, cells: unknown[]) =>
      spec.kind === 'text' ? utf8.encode(cells) : spec.kind === 'texts' ? cells.map((list) => utf8.encode(list as string[])) : cells;
    this.writer.write({
      columnData: this.specs.map((spec, j) => ({ name: spec.name, data: data(spec, this.cells[j]!) })),
      rowGroupSize: this.rowGroup,
    });
    this.rows += n;
    this.cells = this.specs.map(() => []);
  }

  /** Completes the file; the metadata records predictions.jsonl's size now, which later readers check. */
  finish(): void {
    if (!this.layout && this.sample.length > 0) this.fixLayout();
    this.flush();
    if (this.rows === 0) {
      this.abandon(); // a run without questions has nothing to tabulate
      return;
    }
    const meta: ResultsMeta = {
      version: RESULTS_FORMAT_VERSION,
      ...this.layout!,
      rows: this.rows,
      predictionsBytes: statSync(path.join(this.dir, PREDICTIONS_FILE)).size,
    };
    this.writer!.kvMetadata = [{ key: RESULTS_META_KEY, value: JSON.stringify(meta) }];
    this.writer!.finish();
    renameSync(this.temp, path.join(this.dir, RESULTS_FILE));
  }

  abandon(): void {
    rmSync(this.temp, { force: true });
  }
}

/**
 * Writes a run's results.parquet from its predictions.jsonl, in the log's order. `score` writes its log
 * in dataset order and calls this once its figures are done, so the pass runs with the tally's maps
 * gone (at 300k questions: 174 MB peak, against 188 MB written alongside the scoring).
 */
export async function writeResultsFromLog(dir: string): Promise<void> {
  const writer = new ResultsFileWriter(dir);
  try {
    for await (const line of readPredictionLines(path.join(dir, PREDICTIONS_FILE))) writer.add(line);
    writer.finish();
  } finally {
    writer.abandon();
  }
}
