/** One evaluation item, as every adapter yields it. */
export interface Sample {
  id: string;
  imageId: string;
  imagePath: string;
  question: string;
  /** Gold answers (GQA has one; VQA has ten). */
  answers: string[];
  /** Category labels, e.g. structural/semantic/detailed for GQA. A null label is "not in any group". */
  categories: Record<string, string | null>;
  /** Grouping key for clustered statistics (image for GQA). */
  group: string;
  /** Format-specific fields the metrics need (kept JSON-serialisable, stored per prediction). */
  extra: Record<string, unknown>;
}

export interface OpenedDataset {
  adapter: string;
  dir: string;
  /** sha256 over the dataset's annotation files: two runs compare only when it matches. */
  hash: string;
  /** Samples in file order. */
  samples: Sample[];
  /** Metric ids that suit this dataset, in reporting order. */
  metrics: string[];
  /** What the benchmark's scorer expects a raw model answer to look like. */
  normalisePrediction(text: string): string;
}

/** A dataset read as it is consumed: `run` and `score` never hold every sample at once. */
export interface StreamedDataset extends Omit<OpenedDataset, 'samples' | 'hash'> {
  /** Samples in file order; each call reads the files again from the start. */
  samples(): AsyncIterable<Sample>;
  /** sha256 over the annotation files; known once `samples()` has been read to the end. */
  hash(): string;
}

/** Format-specific options from the command line. */
export interface AdapterOptions {
  /** File-name template for numeric image ids, e.g. `COCO_val2014_{id:012}.jpg`. */
  imageTemplate?: string;
  /** The images may be absent (`score` reads none): a missing images folder is then no error. */
  imagesOptional?: boolean;
}

/** Answers another harness wrote in a benchmark's own format, by sample id. */
export interface AnswerFile {
  format: string;
  sha256: string;
  byId: Map<string, string>;
}

/** A benchmark's official predictions file, written from a run's answers (`report --format <format>`). */
export interface PredictionsExport {
  /** Its `--format` name. */
  format: string;
  /** What reads it, for help and errors. */
  description: string;
  /** One answer's entry. */
  entry(answer: { id: string; prediction: string }): string;
  /** How entries are put together: the file is `open` + entries joined by `separator` + `close` (`empty` without any), then a newline. */
  frame: { open: string; separator: string; close: string; empty: string };
}

/** Per question, the answers a choices file counts as valid and as plausible (GQA's validity and plausibility). */
export type AnswerChoices = ReadonlyMap<string, { valid: readonly string[]; plausible: readonly string[] }>;

export interface DatasetAdapter {
  id: string;
  description: string;
  /** The bundled mini set, relative to the package root; none where xfbench ships none (`--data` is then required). */
  defaultDir?: string;
  /** Formats whose image file names come from ids take `--image-template`; others refuse it. */
  takesImageTemplate?: boolean;
  /** The folder `--data` points at, as the official release lays it out. */
  layout: string;
  /** Where the official data comes from (xfbench downloads nothing). */
  source: string;
  /**
   * Formats with answer files of their own (MME's `<subtask>.txt`, GVTBench's prediction records,
   * POPE's answer lines) read them for `score`, mapping them onto the dataset's samples; undefined when
   * the file is not in that layout (the generic readers then try it).
   */
  readAnswers?(fileOrFolder: string, samples: () => AsyncIterable<Sample>): Promise<AnswerFile | undefined>;
  /** The file the benchmark's official scorer reads, where xfbench can write it. */
  exportPredictions?: PredictionsExport;
  /** The sample id of a dataset record as lmms-eval logs it (`doc`), where it is not the record's question_id or id. */
  idFromLoggedDoc?(doc: Record<string, unknown>): string | undefined;
  /**
   * Where the files hold more questions than the official scorer counts: which ones it counts (GQA:
   * the balanced questions). `--all-questions` counts them all; other datasets refuse it.
   */
  officialSubset?: string;
  /** Formats whose metrics read a choices file (`--choices`) say how to load one. */
  loadChoices?(file: string): Promise<AnswerChoices>;
  open(dir: string, opts?: AdapterOptions): Promise<OpenedDataset>;
  /** As `open`, streamed (adapters whose files can be large); without it, `open`'s samples are used. */
  stream?(dir: string, opts?: AdapterOptions): Promise<StreamedDataset>;
}

/** Any adapter's dataset as a stream: its own `stream` where it has one, `open`'s samples otherwise. */
export async function streamDataset(adapter: DatasetAdapter, dir: string, opts: AdapterOptions): Promise<StreamedDataset> {
  if (adapter.stream) return adapter.stream(dir, opts);
  const opened = await adapter.open(dir, opts);
  return { ...opened, samples: () => inOrder(opened.samples), hash: () => opened.hash };
}

async function* inOrder<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}
