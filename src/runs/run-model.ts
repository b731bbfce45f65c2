import type { Sample } from '../datasets/types.js';
import type { PredictionLine, PredictionWriter } from './prediction-line.js';
import type { RunConfig } from './run-config.js';
import type { RunRecord } from './run-record.js';

/** Turns an answer (or a failure) into its scored prediction line (pipeline/scoring.ts's SampleScorer). */
export interface LineScorer {
  line(sample: Sample, answer: string, opts?: { raw?: boolean; prompt?: string }): PredictionLine;
  errorLine(sample: Sample, error: NonNullable<PredictionLine['error']>, prompt?: string): PredictionLine;
}

/** Where an evaluation's time went. */
export interface StageTimings {
  visionMs: number;
  generateMs: number;
  images: number;
  questions: number;
}

export interface EvaluateResult {
  /** Samples answered (or written as error rows) in this call. */
  evaluated: number;
  errors: number;
  stoppedBy: 'max-errors' | 'signal' | null;
  timings: StageTimings;
}

/** The options every kind of model's evaluation takes from the run loop. */
export interface RunEvaluateOptions {
  scorer: LineScorer;
  /** Ids already in predictions.jsonl (a resumed run). */
  skip: ReadonlySet<string>;
  total: number;
  maxErrors?: number;
  shouldStop?: () => boolean;
  onProgress?: (done: number, total: number) => void;
}

/** A model that is answering: its evaluation, what run.json records of it, and its release. */
export interface OpenedRunModel {
  provider: NonNullable<RunRecord['provider']>;
  evaluate(samples: AsyncIterable<Sample>, writer: PredictionWriter, opts: RunEvaluateOptions): Promise<EvaluateResult>;
  /** The timings run.json records beside the loop's own (time in the runtime, cache hits, …). */
  timings(): Record<string, number>;
  /** run.json's account of the model as it stands after the evaluation (a served model's request counts). */
  describe(): Pick<RunRecord, 'bundle' | 'endpoint'>;
  dispose(): Promise<void>;
}

/**
 * What answers a run's questions, before anything runs: a bundle on onnxruntime (pipeline/bundle-model.ts) or a
 * served model (endpoints/endpoint-model.ts). The run loop (pipeline/execute-run.ts) never learns which.
 */
export interface RunModel {
  /** What a resumed run must match: the bundle's hash, or the endpoint and model name's. */
  hash: string;
  /** Its name in tables and in the run folder's default name. */
  name: string;
  /** The settings it adds to run.json's config (generation, devices, concurrency, …). */
  config: Partial<RunConfig>;
  /** Checks that a run folder started with `previous` can go on with this model (beyond the fingerprint). */
  checkResume?(previous: RunRecord, runDir: string): void;
  open(previous: RunRecord | undefined, runDir: string): Promise<OpenedRunModel>;
}
