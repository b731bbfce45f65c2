import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadBundle, MANIFEST_FILE } from '../core/bundle/manifest.js';
import { parseAblations, type EncoderAblation } from '../core/vision/ablation.js';
import type { StreamedDataset } from '../datasets/types.js';
import { prepareAblation, type RunAblation } from './ablation-setup.js';
import { defaultIntraOpThreads, type DeviceRequest, type ProviderChoice } from '../core/bundle/sessions.js';
import { VisionLanguageModel, type GenerationOverrides } from '../core/model.js';
import { VisionCache } from '../core/vision/vision-cache.js';
import { XfError } from '../lib/errors.js';
import { packageRoot } from '../lib/package-root.js';
import type { MetricValue } from '../metrics/types.js';
import { RunLock } from '../runs/lock.js';
import { PredictionWriter } from '../runs/prediction-line.js';
import { recoverPredictions } from '../runs/recover.js';
import { openRunDir, PREDICTIONS_FILE } from '../runs/run-dir.js';
import { recordHeader, writeRunRecord, type RunRecord } from '../runs/run-record.js';
import { aggregateInDatasetOrder, checkAnswersBelong, firstSamples, surveyDataset } from './dataset-passes.js';
import { evaluate } from './evaluate.js';
import { ImageFeeder } from './image-feeder.js';
import { openEvaluation, type DatasetOptions } from './open-dataset.js';
import { checkResumable, checkSameProvider, fingerprint, previousRecord } from './resume.js';
import { inShard, type Shard } from './shards.js';
import { RunTally, SampleScorer } from './scoring.js';
import { DEFAULT_BATCH_SIZE, DEFAULT_BUNDLE_DIR, DEFAULT_PREFETCH, DEFAULT_VISION_CACHE_BYTES, DEFAULT_WINDOW } from './settings.js';

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

/** An ablated run's set-up, over every image in scope (all shards alike). */
async function ablationFor(model: VisionLanguageModel, images: ImageFeeder, ablations: EncoderAblation[], dataset: StreamedDataset, limit: number | undefined): Promise<RunAblation> {
  const paths: string[] = [];
  for await (const s of firstSamples(dataset.samples(), limit)) paths.push(s.imagePath);
  return prepareAblation(model, images, ablations, paths);
}

/**
 * `xfbench run`: evaluates a bundle on a dataset into a run folder. Pointed at a folder that holds a
 * run started with the same bundle, data and settings, it continues where that run stopped; the
 * result equals an uninterrupted run.
 */
export async function executeRun(opts: RunOptions): Promise<RunOutcome> {
  const started = performance.now();
  if (opts.cacheDir && opts.visionCache === false) {
    throw new XfError('E_FLAGS', '--cache-dir keeps visual tokens on disk, which --no-vision-cache turns off', { suggestion: 'Drop one of the two.' });
  }
  const modelDir = opts.model ? path.resolve(opts.model) : path.join(packageRoot(), DEFAULT_BUNDLE_DIR);
  const bundle = await loadBundle(modelDir);
  const ablations = parseAblations(opts.ablate ?? [], bundle.manifest, path.join(modelDir, MANIFEST_FILE));
  const { adapter, dataset, metrics, ctx } = await openEvaluation(opts.dataset, opts);
  const samples = () => inShard(firstSamples(dataset.samples(), opts.limit), opts.shard);
  // read through once before anything is written: bad input fails here, with nothing created
  const survey = await surveyDataset(dataset, opts.limit, opts.shard);
  const generation = {
    numBeams: opts.generation?.numBeams ?? bundle.manifest.generation.numBeams,
    maxNewTokens: opts.generation?.maxNewTokens ?? bundle.manifest.generation.maxNewTokens,
  };
  const settings = {
    generation,
    limit: opts.limit ?? null, allQuestions: Boolean(opts.allQuestions), choices: opts.choices ? path.resolve(opts.choices) : null, imageTemplate: opts.imageTemplate ?? null,
    metrics: metrics.map((m) => m.id), ...(ablations.length > 0 ? { ablate: ablations } : {}),
  };
  const fp = fingerprint(bundle.hash, survey.hash, settings, opts.shard);

  const runDir = await openRunDir(opts.out, adapter.id, bundle.manifest.name, 'continue');
  const lock = RunLock.acquire(runDir);
  try {
    const previous = await previousRecord(runDir);
    const predictionsFile = path.join(runDir, PREDICTIONS_FILE);
    if (previous) checkResumable(previous, fp, runDir);
    else if (existsSync(predictionsFile)) {
      throw new XfError('E_RUN_CORRUPT', 'predictions.jsonl exists without run.json', { file: runDir, suggestion: 'Use another --out.' });
    }
    const recovered = await recoverPredictions(predictionsFile);
    await checkAnswersBelong(samples(), recovered.ids, predictionsFile);

    // the image workers start while the sessions are created, so their start-up is load time
    const images = new ImageFeeder();
    let model: VisionLanguageModel;
    try {
      model = await VisionLanguageModel.open(bundle, { device: opts.device, threads: opts.threads, hostReadsFeatures: ablations.length > 0 }, generation);
      await images.ready;
    } catch (err) {
      images.close();
      throw err;
    }
    if (model.provider.note) opts.onProviderNote?.(model.provider.note);
    const ablation = ablations.length > 0 ? await ablationFor(model, images, ablations, dataset, opts.limit) : undefined;
    try {
      checkSameProvider(previous, model.provider.used, runDir);
    } catch (err) {
      images.close();
      await model.dispose();
      throw err;
    }
    const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
    const base: Omit<RunRecord, 'metrics' | 'status' | 'timings' | 'dataset'> = {
      ...recordHeader('run'),
      bundle: { name: bundle.manifest.name, dir: modelDir, sha256: bundle.hash, fusionKind: bundle.manifest.fusionKind, formatVersion: bundle.manifest.formatVersion },
      provider: model.provider,
      fingerprint: fp,
      config: {
        ...settings, shard: opts.shard ?? null, device: opts.device, threads: opts.threads ?? null, threadsUsed: opts.threads ?? defaultIntraOpThreads(bundle.bytes), batchSize, window: opts.window ?? DEFAULT_WINDOW, visionCache: opts.visionCache !== false,
        prefetch: opts.prefetch ?? DEFAULT_PREFETCH, cacheDir: opts.cacheDir ?? null, maxErrors: opts.maxErrors ?? null,
      },
    };
    const datasetInfo = (evaluated: number) => ({ id: adapter.id, dir: dataset.dir, sha256: survey.hash, questions: survey.questions, evaluated });
    if (!previous) {
      await writeRunRecord(runDir, { ...base, status: 'running', dataset: datasetInfo(0), timings: {}, metrics: [] });
    }
    const loadMs = performance.now() - started;
    const writer = new PredictionWriter(predictionsFile);
    const cache = new VisionCache(bundle.hash, DEFAULT_VISION_CACHE_BYTES, opts.cacheDir ? path.resolve(opts.cacheDir) : undefined);
    const evalStart = performance.now();
    let result;
    try {
      result = await evaluate(model, samples(), writer, {
        scorer: new SampleScorer(metrics, (t) => dataset.normalisePrediction(t)),
        images,
        ablation,
        skip: recovered.ids,
        total: survey.inScope - recovered.ids.size,
        cache: opts.visionCache === false ? undefined : cache,
        prefetch: opts.prefetch,
        batchSize,
        window: opts.window,
        maxErrors: opts.maxErrors,
        shouldStop: opts.shouldStop,
        onProgress: opts.onProgress,
      });
    } finally {
      writer.close();
      images.close();
      await model.dispose();
    }
    const evaluateMs = performance.now() - evalStart;
    const totals = await aggregateInDatasetOrder(samples(), predictionsFile, new RunTally(metrics, ctx));
    // the file is read once per pass: a change between the first and the last would mix two datasets
    if (opts.limit === undefined && dataset.hash() !== survey.hash) {
      throw new XfError('E_DATA_CHANGED', 'the questions file changed while the run was reading it', {
        file: dataset.dir, suggestion: 'Leave the dataset unchanged during a run, and run it again into another --out.',
      });
    }
    const errors = Object.values(totals.errorsByCode).reduce((a, b) => a + b, 0);
    const status = result.stoppedBy ? 'stopped' : 'complete';
    const record: RunRecord = {
      ...base,
      status,
      dataset: datasetInfo(totals.evaluated),
      errors: { count: errors, byCode: totals.errorsByCode },
      resumed: previous ? { fromQuestions: recovered.ids.size, tornBytesDropped: recovered.tornBytes, retriedFailed: recovered.retried } : undefined,
      timings: {
        loadMs: Math.round(loadMs), evaluateMs: Math.round(evaluateMs), wallMs: Math.round(performance.now() - started),
        visionMs: Math.round(result.timings.visionMs), generateMs: Math.round(result.timings.generateMs), images: result.timings.images,
        questionsThisSession: result.evaluated, questionsPerSecond: Number((result.evaluated / Math.max(evaluateMs / 1000, 1e-9)).toFixed(2)),
        visionCacheHits: cache.stats.hits + cache.stats.diskHits, visionCacheMisses: cache.stats.misses,
        sessionRunMs: Math.round(model.runtime.ms), sessionRunCalls: model.runtime.calls,
        imageDecodeMs: Math.round(images.decodeMs),
        ...Object.fromEntries(Object.entries(model.runtime.stageMs).map(([stage, ms]) => [`${stage}Ms`, Math.round(ms)])),
      },
      metrics: totals.metrics,
      families: totals.families,
    };
    await writeRunRecord(runDir, record);
    return { runDir, record, provider: model.provider, resumedFrom: recovered.ids.size, retried: recovered.retried, evaluatedNow: result.evaluated, errors, status, stoppedBy: result.stoppedBy, metrics: totals.metrics };
  } finally {
    lock.release();
  }
}
