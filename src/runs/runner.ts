import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_WINDOW, evaluate } from '../core/evaluate.js';
import { loadBundle } from '../core/manifest.js';
import { VisionLanguageModel } from '../core/model.js';
import type { DeviceRequest, ProviderChoice } from '../core/sessions.js';
import { VisionCache } from '../core/vision-cache.js';
import { XfError } from '../lib/errors.js';
import { sha256Text } from '../lib/files.js';
import { packageRoot } from '../lib/package-root.js';
import type { MetricValue } from '../metrics/types.js';
import { RunLock } from './lock.js';
import { aggregateInDatasetOrder, checkAnswersBelong, firstSamples, surveyDataset } from './dataset-passes.js';
import { prepareStreamingEvaluation } from './prepare.js';
import { recoverPredictions } from './recover.js';
import { defaultRunDir, PREDICTIONS_FILE, PredictionWriter, RUN_FILE } from './run-dir.js';
import { recordHeader, writeRunRecord, type RunRecord } from './run-record.js';

export interface RunOptions {
  dataset: string;
  model?: string;
  data?: string;
  out?: string;
  limit?: number;
  device: DeviceRequest;
  threads?: number;
  choices?: string;
  allQuestions?: boolean;
  imageTemplate?: string;
  cacheDir?: string;
  /** Cache visual tokens per image content (default on). */
  visionCache?: boolean;
  prefetch?: number;
  /** Questions per LM call; answers do not depend on it. */
  batchSize?: number;
  /** Questions read and grouped by image at once (default DEFAULT_WINDOW). */
  window?: number;
  maxErrors?: number;
  onProviderNote?: (note: string) => void;
  onProgress?: (done: number, total: number) => void;
  shouldStop?: () => boolean;
}

export interface RunOutcome {
  runDir: string;
  record: RunRecord;
  provider: ProviderChoice;
  resumedFrom: number;
  evaluatedNow: number;
  errors: number;
  status: 'complete' | 'stopped';
  stoppedBy: 'max-errors' | 'signal' | null;
  metrics: MetricValue[];
}

/** Questions per LM call unless told otherwise: enough to amortise each call's fixed cost on CPU. */
export const DEFAULT_BATCH_SIZE = 16;

/** What must match for a run folder to be continued: the bundle, the data, and every setting that changes answers. */
function fingerprint(bundleHash: string, datasetHash: string, settings: Record<string, unknown>): NonNullable<RunRecord['fingerprint']> {
  return { bundle: bundleHash, dataset: datasetHash, settings: sha256Text(JSON.stringify(settings)) };
}

async function existingRecord(runDir: string): Promise<RunRecord | undefined> {
  const file = path.join(runDir, RUN_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(await readFile(file, 'utf8')) as RunRecord;
  } catch {
    throw new XfError('E_RUN_CORRUPT', 'run.json is not readable JSON', { file, suggestion: 'Start a new run in another folder.' });
  }
}

function checkResumable(previous: RunRecord, now: NonNullable<RunRecord['fingerprint']>, runDir: string): void {
  const was = previous.fingerprint;
  const file = path.join(runDir, RUN_FILE);
  if (!was) throw new XfError('E_RESUME_MISMATCH', 'this run folder was not written by a resumable run', { file });
  for (const [key, label] of [['bundle', 'model bundle'], ['dataset', 'dataset files'], ['settings', 'settings (--limit, --choices, --all-questions, --image-template)']] as const) {
    if (was[key] !== now[key]) {
      throw new XfError('E_RESUME_MISMATCH', `cannot continue this run: the ${label} differ from the ones it was started with`, {
        file, field: `fingerprint.${key}`, suggestion: 'Use the same flags as the first time, or another --out for a new run.',
      });
    }
  }
}

/**
 * `xfbench run`: evaluates a bundle on a dataset into a run folder. Pointed at a folder that holds a
 * run started with the same bundle, data and settings, it continues where that run stopped; the
 * result equals an uninterrupted run.
 */
export async function executeRun(opts: RunOptions): Promise<RunOutcome> {
  const started = performance.now();
  const modelDir = opts.model ? path.resolve(opts.model) : path.join(packageRoot(), 'fixtures/models/xf-tiny-xformer');
  const bundle = await loadBundle(modelDir);
  const { adapter, dataset, metrics, ctx } = await prepareStreamingEvaluation(opts.dataset, { data: opts.data, choices: opts.choices, allQuestions: opts.allQuestions, imageTemplate: opts.imageTemplate });
  const samples = () => firstSamples(dataset.samples(), opts.limit);
  // read through once before anything is written: bad input fails here, with nothing created
  const survey = await surveyDataset(dataset, opts.limit);
  const settings = { limit: opts.limit ?? null, allQuestions: Boolean(opts.allQuestions), choices: opts.choices ? path.resolve(opts.choices) : null, imageTemplate: opts.imageTemplate ?? null, metrics: metrics.map((m) => m.id) };
  const fp = fingerprint(bundle.hash, survey.hash, settings);

  const runDir = path.resolve(opts.out ?? defaultRunDir(process.cwd(), adapter.id, bundle.manifest.name));
  try {
    await mkdir(runDir, { recursive: true });
    await readdir(runDir);
  } catch (err) {
    throw new XfError('E_OUT_DIR', `cannot create the run folder (${(err as NodeJS.ErrnoException).code})`, { file: runDir });
  }
  const lock = RunLock.acquire(runDir);
  try {
    const previous = await existingRecord(runDir);
    const predictionsFile = path.join(runDir, PREDICTIONS_FILE);
    if (previous) checkResumable(previous, fp, runDir);
    else if (existsSync(predictionsFile)) {
      throw new XfError('E_RUN_CORRUPT', 'predictions.jsonl exists without run.json', { file: runDir, suggestion: 'Use another --out.' });
    }
    const recovered = await recoverPredictions(predictionsFile);
    await checkAnswersBelong(samples(), recovered.ids, predictionsFile);

    const model = await VisionLanguageModel.open(bundle, { device: opts.device, threads: opts.threads });
    if (model.provider.note) opts.onProviderNote?.(model.provider.note);
    if (previous?.provider && previous.provider.used !== model.provider.used) {
      await model.dispose();
      throw new XfError('E_RESUME_MISMATCH', `cannot continue this run on ${model.provider.used}: it was started on ${previous.provider.used}`, {
        file: path.join(runDir, RUN_FILE), field: 'provider.used', suggestion: `Resume with --device ${previous.provider.used}.`,
      });
    }
    const base: Omit<RunRecord, 'metrics' | 'status' | 'timings' | 'dataset'> = {
      ...recordHeader('run'),
      bundle: { name: bundle.manifest.name, dir: modelDir, sha256: bundle.hash, fusionKind: bundle.manifest.fusionKind, formatVersion: bundle.manifest.formatVersion },
      provider: model.provider,
      fingerprint: fp,
      config: {
        ...settings, device: opts.device, threads: opts.threads ?? null, batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE, window: opts.window ?? DEFAULT_WINDOW, visionCache: opts.visionCache !== false,
        prefetch: opts.prefetch ?? 2, cacheDir: opts.cacheDir ?? null, maxErrors: opts.maxErrors ?? null,
      },
    };
    const datasetInfo = (evaluated: number) => ({ id: adapter.id, dir: dataset.dir, sha256: survey.hash, questions: survey.questions, evaluated });
    if (!previous) {
      await writeRunRecord(runDir, { ...base, status: 'running', dataset: datasetInfo(0), timings: {}, metrics: [] });
    }
    const loadMs = performance.now() - started;
    const writer = new PredictionWriter(predictionsFile);
    const cache = new VisionCache(bundle.hash, 256 * 1024 * 1024, opts.cacheDir ? path.resolve(opts.cacheDir) : undefined);
    const evalStart = performance.now();
    let result;
    try {
      result = await evaluate(model, samples(), dataset, writer, {
        score: (sample, prediction) => Object.assign({}, ...metrics.map((m) => m.score(sample, prediction))) as Record<string, number>,
        skip: recovered.ids,
        total: survey.inScope - recovered.ids.size,
        cache: opts.visionCache === false ? undefined : cache,
        prefetch: opts.prefetch,
        batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
        window: opts.window,
        maxErrors: opts.maxErrors,
        shouldStop: opts.shouldStop,
        onProgress: opts.onProgress,
      });
    } finally {
      writer.close();
      await model.dispose();
    }
    const evaluateMs = performance.now() - evalStart;
    const totals = await aggregateInDatasetOrder(samples(), predictionsFile, metrics, ctx);
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
      resumed: previous ? { fromQuestions: recovered.ids.size, tornBytesDropped: recovered.tornBytes } : undefined,
      timings: {
        loadMs: Math.round(loadMs), evaluateMs: Math.round(evaluateMs), wallMs: Math.round(performance.now() - started),
        visionMs: Math.round(result.timings.visionMs), generateMs: Math.round(result.timings.generateMs), images: result.timings.images,
        questionsThisSession: result.evaluated, questionsPerSecond: Number((result.evaluated / Math.max(evaluateMs / 1000, 1e-9)).toFixed(2)),
        visionCacheHits: cache.stats.hits + cache.stats.diskHits, visionCacheMisses: cache.stats.misses,
        sessionRunMs: Math.round(model.runtime.ms), sessionRunCalls: model.runtime.calls,
      },
      metrics: totals.metrics,
    };
    await writeRunRecord(runDir, record);
    return { runDir, record, provider: model.provider, resumedFrom: recovered.ids.size, evaluatedNow: result.evaluated, errors, status, stoppedBy: result.stoppedBy, metrics: totals.metrics };
  } finally {
    lock.release();
  }
}
