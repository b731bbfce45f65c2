import { ResultsFileWriter } from '../runs/results-file.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadBundle, MANIFEST_FILE } from '../core/bundle/manifest.js';
import { parseAblations } from '../core/vision/ablation.js';
import { defaultIntraOpThreads, type DeviceRequest, type ProviderChoice } from '../core/bundle/sessions.js';
import type { GenerationOverrides } from '../core/model.js';
import { XfError } from '../lib/errors.js';
import { packageRoot } from '../lib/package-root.js';
import type { MetricValue } from '../metrics/types.js';
import { RunLock } from '../runs/lock.js';
import { PredictionWriter } from '../runs/prediction-line.js';
import { recoverPredictions } from '../runs/recover.js';
import { openRunDir, PREDICTIONS_FILE } from '../runs/run-dir.js';
import type { RunConfig } from '../runs/run-config.js';
import { outcomeFields, recordHeader, writeRunRecord, type RunRecord } from '../runs/run-record.js';
import { aggregateInDatasetOrder, checkAnswersBelong, firstSamples, surveyDataset } from './dataset-passes.js';
import { evaluate, type EvaluateResult } from './evaluate.js';
import { openEvaluation, type DatasetOptions } from './open-dataset.js';
import { checkResumable, checkSameProvider, fingerprint, previousRecord } from './resume.js';
import { inShard, type Shard } from './shards.js';
import { RunSession } from './run-session.js';
import { loadProtocol, processQuestion } from '../protocols/protocol.js';
import { RunTally, scorerFor } from './scoring.js';
import { DEFAULT_BATCH_SIZE, DEFAULT_BUNDLE_DIR, DEFAULT_PREFETCH, DEFAULT_WINDOW } from './settings.js';

export interface RunOptions extends DatasetOptions {
  dataset: string;
  /** Evaluate one shard of the dataset (by image), for a scheduler's array job; `merge` joins them. */
  shard?: Shard;
  /** `ENCODER=MODE` (zero, mean, shuffle, noise): take an encoder's features away (core/vision/ablation.ts). */
  ablate?: string[];
  model?: string;
  out?: string;
  limit?: number;
  device: DeviceRequest;
  threads?: number;
  cacheDir?: string;
  /** Cache visual tokens per image content (default on). */
  visionCache?: boolean;
  prefetch?: number;
  /** Questions per LM call; answers do not depend on it. */
  batchSize?: number;
  /** Questions read and grouped by image at once. */
  window?: number;
  maxErrors?: number;
  /** Decoding settings over the bundle's (recorded, and part of what a resumed run must match). */
  generation?: GenerationOverrides;
  /** Evaluation protocol: a built-in name or a file (default official); the flags above win over its generation settings. */
  protocol?: string;
  onProviderNote?: (note: string) => void;
  onProgress?: (done: number, total: number) => void;
  shouldStop?: () => boolean;
}

export interface RunOutcome {
  runDir: string;
  record: RunRecord;
  provider: ProviderChoice;
  resumedFrom: number;
  /** Failed samples of the earlier attempt tried again now. */
  retried: number;
  evaluatedNow: number;
  errors: number;
  status: 'complete' | 'stopped';
  stoppedBy: 'max-errors' | 'signal' | null;
  metrics: MetricValue[];
}

/**
 * `xfbench run`: evaluates a bundle on a dataset into a run folder. Pointed at a folder that holds a
 * run started with the same bundle, data and settings, it continues where that run stopped; the
 * result equals an uninterrupted run.
 */
export async function executeRun(opts: RunOptions): Promise<RunOutcome> {
  const started = performance.now();
  if (opts.cacheDir && opts.visionCache === false) {
    throw new XfError('E_FLAGS', '--cache-dir keeps visual tokens on disk, which --no-vision-cache turns off', {
      suggestion: 'Drop one of the two.',
    });
  }
  const modelDir = opts.model ? path.resolve(opts.model) : path.join(packageRoot(), DEFAULT_BUNDLE_DIR);
  const bundle = await loadBundle(modelDir);
  const ablations = parseAblations(opts.ablate ?? [], bundle.manifest, path.join(modelDir, MANIFEST_FILE));
  const { adapter, dataset, metrics, ctx } = await openEvaluation(opts.dataset, opts);
  const samples = () => inShard(firstSamples(dataset.samples(), opts.limit), opts.shard);
  // read through once before anything is written: bad input fails here, with nothing created
  const survey = await surveyDataset(dataset, opts.limit, opts.shard);
  const protocol = await loadProtocol(opts.protocol);
  const generation = {
    numBeams: opts.generation?.numBeams ?? protocol.generation?.numBeams ?? bundle.manifest.generation.numBeams,
    maxNewTokens: opts.generation?.maxNewTokens ?? protocol.generation?.maxNewTokens ?? bundle.manifest.generation.maxNewTokens,
  };
  const visionCache = opts.visionCache !== false;
  const config: RunConfig = {
    generation,
    limit: opts.limit ?? null,
    allQuestions: Boolean(opts.allQuestions),
    choices: opts.choices ? path.resolve(opts.choices) : null,
    imageTemplate: opts.imageTemplate ?? null,
    metrics: metrics.map((m) => m.id),
    ...(ablations.length > 0 ? { ablate: ablations } : {}),
    protocol: protocol.id,
    shard: opts.shard ?? null,
    device: opts.device,
    threads: opts.threads ?? null,
    threadsUsed: opts.threads ?? defaultIntraOpThreads(bundle.bytes),
    batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
    window: opts.window ?? DEFAULT_WINDOW,
    visionCache,
    prefetch: opts.prefetch ?? DEFAULT_PREFETCH,
    cacheDir: opts.cacheDir ?? null,
    maxErrors: opts.maxErrors ?? null,
  };
  const fp = fingerprint(bundle.hash, survey.hash, config, opts.shard);

  const runDir = await openRunDir(opts.out, adapter.id, bundle.manifest.name, 'continue');
  const lock = RunLock.acquire(runDir);
  try {
    const previous = await previousRecord(runDir);
    const predictionsFile = path.join(runDir, PREDICTIONS_FILE);
    if (previous) checkResumable(previous, fp, config, runDir);
    else if (existsSync(predictionsFile)) {
      throw new XfError('E_RUN_CORRUPT', 'predictions.jsonl exists without run.json', { file: runDir, suggestion: 'Use another --out.' });
    }
    const recovered = await recoverPredictions(predictionsFile);
    await checkAnswersBelong(samples(), recovered.ids, predictionsFile);

    const datasetInfo = { id: adapter.id, dir: dataset.dir, sha256: survey.hash, questions: survey.questions };
    let base: Omit<RunRecord, 'metrics' | 'status' | 'timings' | 'dataset'>;
    const session = await RunSession.open(bundle, {
      device: opts.device,
      threads: opts.threads,
      generation: {
        ...generation,
        minNewTokens: protocol.generation?.minNewTokens,
        lengthPenalty: protocol.generation?.lengthPenalty,
      },
      prompting: { template: protocol.prompt, question: (q) => processQuestion(protocol, q) },
      ablations,
      ablationScope: () => firstSamples(dataset.samples(), opts.limit),
      visionCache,
      cacheDir: opts.cacheDir ? path.resolve(opts.cacheDir) : undefined,
    });
    const { model, images, cache } = session;
    const writer = new PredictionWriter(predictionsFile);
    let result: EvaluateResult;
    let evaluateMs: number;
    let loadMs: number;
    try {
      checkSameProvider(previous, model.provider.used, runDir);
      if (model.provider.note) opts.onProviderNote?.(model.provider.note);
      base = {
        ...recordHeader('run'),
        bundle: {
          name: bundle.manifest.name,
          dir: modelDir,
          sha256: bundle.hash,
          fusionKind: bundle.manifest.fusionKind,
          formatVersion: bundle.manifest.formatVersion,
        },
        provider: model.provider,
        fingerprint: fp,
        config,
      };
      if (!previous)
        await writeRunRecord(runDir, { ...base, status: 'running', dataset: { ...datasetInfo, evaluated: 0 }, timings: {}, metrics: [] });
      loadMs = performance.now() - started;
      const evalStart = performance.now();
      result = await evaluate(model, samples(), writer, {
        scorer: scorerFor(metrics, adapter.id, (t) => dataset.normalisePrediction(t), protocol),
        images,
        ablation: session.ablation,
        skip: recovered.ids,
        total: survey.inScope - recovered.ids.size,
        cache: visionCache ? cache : undefined,
        prefetch: config.prefetch,
        batchSize: config.batchSize,
        window: config.window,
        maxErrors: opts.maxErrors,
        shouldStop: opts.shouldStop,
        onProgress: opts.onProgress,
      });
      evaluateMs = performance.now() - evalStart;
    } finally {
      writer.close();
      await session.dispose();
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
      ...base,
      status,
      ...outcomeFields(datasetInfo, totals),
      resumed: previous
        ? { fromQuestions: recovered.ids.size, tornBytesDropped: recovered.tornBytes, retriedFailed: recovered.retried }
        : undefined,
      timings: {
        loadMs: Math.round(loadMs),
        evaluateMs: Math.round(evaluateMs),
        wallMs: Math.round(performance.now() - started),
        visionMs: Math.round(result.timings.visionMs),
        generateMs: Math.round(result.timings.generateMs),
        images: result.timings.images,
        questionsThisSession: result.evaluated,
        questionsPerSecond: Number((result.evaluated / Math.max(evaluateMs / 1000, 1e-9)).toFixed(2)),
        visionCacheHits: cache.stats.hits + cache.stats.diskHits,
        visionCacheMisses: cache.stats.misses,
        sessionRunMs: Math.round(model.runtime.ms),
        sessionRunCalls: model.runtime.calls,
        imageDecodeMs: Math.round(images.decodeMs),
        ...Object.fromEntries(Object.entries(model.runtime.stageMs).map(([stage, ms]) => [`${stage}Ms`, Math.round(ms)])),
      },
    };
    await writeRunRecord(runDir, record);
    return {
      runDir,
      record,
      provider: model.provider,
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
