import { ResultsFileWriter } from '../runs/results-file.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { endpointRunModel, type EndpointRunOptions } from '../endpoints/endpoint-model.js';
import { isEndpoint } from '../endpoints/endpoint-spec.js';
import { XfError } from '../lib/errors.js';
import type { MetricValue } from '../metrics/types.js';
import { RunLock } from '../runs/lock.js';
import { PredictionWriter } from '../runs/prediction-line.js';
import { recoverPredictions } from '../runs/recover.js';
import { openRunDir, PREDICTIONS_FILE } from '../runs/run-dir.js';
import type { RunConfig } from '../runs/run-config.js';
import { outcomeFields, recordHeader, writeRunRecord, type RunRecord } from '../runs/run-record.js';
import { bundleRunModel, type BundleRunOptions } from './bundle-model.js';
import { aggregateInDatasetOrder, checkAnswersBelong, firstSamples, surveyDataset } from './dataset-passes.js';
import type { EvaluateResult } from '../runs/run-model.js';
import { openEvaluation, type DatasetOptions, type OpenedEvaluation } from './open-dataset.js';
import { checkResumable, fingerprint, previousRecord } from './resume.js';
import { inShard, type Shard } from './shards.js';
import { loadProtocol } from '../protocols/protocol.js';
import { RunTally, scorerFor } from './scoring.js';

export interface RunOptions extends DatasetOptions, BundleRunOptions, Omit<EndpointRunOptions, 'model' | 'maxNewTokens'> {
  dataset: string;
  /** Evaluate one shard of the dataset (by image), for a scheduler's array job; `merge` joins them. */
  shard?: Shard;
  /** A bundle or checkpoint folder, or `openai:URL` for a served model. */
  model?: string;
  out?: string;
  limit?: number;
  maxErrors?: number;
  /** Evaluation protocol: a built-in name or a file (default official); the flags above win over its generation settings. */
  protocol?: string;
  onProgress?: (done: number, total: number) => void;
  shouldStop?: () => boolean;
}

export interface RunOutcome {
  runDir: string;
  record: RunRecord;
  provider: NonNullable<RunRecord['provider']>;
  resumedFrom: number;
  /** Failed samples of the earlier attempt tried again now. */
  retried: number;
  evaluatedNow: number;
  errors: number;
  status: 'complete' | 'stopped';
  stoppedBy: 'max-errors' | 'signal' | null;
  metrics: MetricValue[];
}

/** Flags of one kind of model given with the other: refused, rather than silently doing nothing. */
function checkModelFlags(opts: RunOptions): void {
  const endpoint = isEndpoint(opts.model);
  const given = (pairs: [string, unknown][]) =>
    pairs.filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)).map(([f]) => f);
  const wrong = endpoint
    ? given([
        ['--ablate', opts.ablate],
        ['--num-beams', opts.generation?.numBeams],
        ['--threads', opts.threads],
        ['--cache-dir', opts.cacheDir],
      ])
    : given([
        ['--endpoint-model', opts.endpointModel],
        ['--api-key-env', opts.apiKeyEnv],
        ['--header', opts.headers],
        ['--concurrency', opts.concurrency],
        ['--request-timeout', opts.requestTimeoutSeconds],
        ['--max-retries', opts.maxRetries],
        ['--retry-backoff', opts.backoffMs],
      ]);
  if (wrong.length > 0)
    throw new XfError(
      'E_FLAGS',
      `${wrong.join(', ')} ${wrong.length === 1 ? 'applies' : 'apply'} only to ${endpoint ? 'a model bundle' : 'a served model (--model openai:URL)'}`,
      {
        suggestion: `Drop ${wrong.length === 1 ? 'it' : 'them'}.`,
      },
    );
}

/**
 * `xfbench run`: evaluates a model (a bundle, or a served model behind an OpenAI-compatible endpoint)
 * on a dataset into a run folder. Pointed at a folder that holds a run started with the same model,
 * data and settings, it continues where that run stopped; the result equals an uninterrupted run.
 */
export async function executeRun(opts: RunOptions): Promise<RunOutcome> {
  const started = performance.now();
  checkModelFlags(opts);
  const protocol = await loadProtocol(opts.protocol);
  let evaluation: OpenedEvaluation | undefined;
  // a bundle is read before the dataset, so that a bad bundle is named first; an endpoint is asked only once the data is good
  const bundleModel = isEndpoint(opts.model)
    ? undefined
    : await bundleRunModel(opts, protocol, () => firstSamples(evaluation!.dataset.samples(), opts.limit));
  evaluation = await openEvaluation(opts.dataset, opts);
  const { adapter, dataset, metrics, ctx } = evaluation;
  const samples = () => inShard(firstSamples(dataset.samples(), opts.limit), opts.shard);
  // read through once before anything is written: bad input fails here, with nothing created
  const survey = await surveyDataset(dataset, opts.limit, opts.shard);
  const model =
    bundleModel ?? (await endpointRunModel({ ...opts, model: opts.model!, maxNewTokens: opts.generation?.maxNewTokens }, protocol));
  const config: RunConfig = {
    ...model.config,
    limit: opts.limit ?? null,
    allQuestions: Boolean(opts.allQuestions),
    choices: opts.choices ? path.resolve(opts.choices) : null,
    imageTemplate: opts.imageTemplate ?? null,
    metrics: metrics.map((m) => m.id),
    protocol: protocol.id,
    shard: opts.shard ?? null,
    maxErrors: opts.maxErrors ?? null,
  };
  const fp = fingerprint(model.hash, survey.hash, config, opts.shard);

  const runDir = await openRunDir(opts.out, adapter.id, model.name, 'continue');
  const lock = RunLock.acquire(runDir);
  try {
    const previous = await previousRecord(runDir);
    const predictionsFile = path.join(runDir, PREDICTIONS_FILE);
    if (previous) {
      model.checkResume?.(previous, runDir);
      checkResumable(previous, fp, config, runDir);
    } else if (existsSync(predictionsFile)) {
      throw new XfError('E_RUN_CORRUPT', 'predictions.jsonl exists without run.json', { file: runDir, suggestion: 'Use another --out.' });
    }
    const recovered = await recoverPredictions(predictionsFile);
    await checkAnswersBelong(samples(), recovered.ids, predictionsFile);

    const datasetInfo = { id: adapter.id, dir: dataset.dir, sha256: survey.hash, questions: survey.questions };
    const opened = await model.open(previous, runDir);
    const base = () => ({ ...recordHeader('run'), ...opened.describe(), provider: opened.provider, fingerprint: fp, config });
    const writer = new PredictionWriter(predictionsFile);
    let result: EvaluateResult;
    let evaluateMs: number;
    let loadMs: number;
    try {
      if (!previous)
        await writeRunRecord(runDir, { ...base(), status: 'running', dataset: { ...datasetInfo, evaluated: 0 }, timings: {}, metrics: [] });
      loadMs = performance.now() - started;
      const evalStart = performance.now();
      result = await opened.evaluate(samples(), writer, {
        scorer: scorerFor(metrics, adapter.id, (t) => dataset.normalisePrediction(t), protocol),
        skip: recovered.ids,
        total: survey.inScope - recovered.ids.size,
        maxErrors: opts.maxErrors,
        shouldStop: opts.shouldStop,
        onProgress: opts.onProgress,
      });
      evaluateMs = performance.now() - evalStart;
    } finally {
      writer.close();
      await opened.dispose();
    }
    // a finished run gets its columnar copy in the same pass; a stopped one has nothing final to copy
    const results = result.stoppedBy ? undefined : new ResultsFileWriter(runDir);
    const totals = await aggregateInDatasetOrder(samples(), predictionsFile, new RunTally(metrics, ctx), results);
    // the file is read once per pass: a change between the first and the last would mix two datasets
    if (opts.limit === undefined && dataset.hash() !== survey.hash) {
      throw new XfError('E_DATA_CHANGED', 'the questions file changed while the run was reading it', {
        file: dataset.dir,
        suggestion: 'Leave the dataset unchanged during a run, and run it again into another --out.',
      });
    }
    const status = result.stoppedBy ? 'stopped' : 'complete';
    const record: RunRecord = {
      ...base(),
      status,
      ...outcomeFields(datasetInfo, totals),
      resumed: previous
        ? { fromQuestions: recovered.ids.size, tornBytesDropped: recovered.tornBytes, retriedFailed: recovered.retried }
        : undefined,
      timings: {
        loadMs: Math.round(loadMs),
        evaluateMs: Math.round(evaluateMs),
        wallMs: Math.round(performance.now() - started),
        questionsThisSession: result.evaluated,
        questionsPerSecond: Number((result.evaluated / Math.max(evaluateMs / 1000, 1e-9)).toFixed(2)),
        ...opened.timings(),
      },
    };
    await writeRunRecord(runDir, record);
    return {
      runDir,
      record,
      provider: opened.provider,
      resumedFrom: recovered.ids.size,
      retried: recovered.retried,
      evaluatedNow: result.evaluated,
      errors: record.errors!.count,
      status,
      stoppedBy: result.stoppedBy,
      metrics: totals.metrics,
    };
  } finally {
    lock.release();
  }
}
