import path from 'node:path';
import { writeResultsFromLog } from '../runs/results-file.js';
import { existsSync } from 'node:fs';
import type { AnswerFile, DatasetAdapter, StreamedDataset } from '../datasets/types.js';
import { XfError } from '../lib/errors.js';
import type { MetricValue } from '../metrics/types.js';
import { PredictionWriter } from '../runs/prediction-line.js';
import { openRunDir, PREDICTIONS_FILE, removeUnfinishedRun } from '../runs/run-dir.js';
import { outcomeFields, recordHeader, writeRunRecord, type RunRecord } from '../runs/run-record.js';
import { readGenericAnswers } from '../datasets/answers/generic.js';
import { readRunAnswers } from './run-answers.js';
import { openEvaluation, type DatasetOptions } from './open-dataset.js';
import { loadProtocol } from '../protocols/protocol.js';
import { RunTally, scorerFor } from './scoring.js';

export interface ScoreOptions extends DatasetOptions {
  dataset: string;
  /** Another system's predictions file; or */
  predictions?: string;
  /** an xfbench run whose answers (as generated) are scored again. */
  fromRun?: string;
  /** The system that made the predictions (default: the file name). */
  name?: string;
  out?: string;
  /** Compare predictions as given, without the benchmark's answer normalisation. */
  raw?: boolean;
  /** Evaluation protocol: a built-in name or a file (default official). */
  protocol?: string;
}

export interface ScoreOutcome {
  runDir: string;
  record: RunRecord;
  name: string;
  format: string;
  questions: number;
  scored: number;
  metrics: MetricValue[];
}

interface Answers {
  file: string;
  preds: AnswerFile;
}

/** A run's answers to score again, checked to be of the dataset asked for. */
async function runAnswers(dir: string, datasetId: string): Promise<Answers & { dataDir: string }> {
  const file = path.resolve(dir);
  const fromRun = await readRunAnswers(file);
  if (fromRun.dataset.id !== datasetId) {
    throw new XfError('E_DATASET_MISMATCH', `the run is of ${fromRun.dataset.id}, not ${datasetId}`, {
      file,
      suggestion: `Score it as ${fromRun.dataset.id}.`,
    });
  }
  return { file, preds: fromRun, dataDir: fromRun.dataset.dir };
}

/** A predictions file, by content: a benchmark's own answer layout is read by its adapter, the rest generically. */
async function fileAnswers(predictions: string, adapter: DatasetAdapter, dataset: StreamedDataset): Promise<Answers> {
  const file = path.resolve(predictions);
  if (!existsSync(file)) throw new XfError('E_MISSING_FILE', 'predictions file not found', { file });
  const own = adapter.readAnswers ? await adapter.readAnswers(file, () => dataset.samples()) : undefined;
  return { file, preds: own ?? (await readGenericAnswers(file, { idOfDoc: adapter.idFromLoggedDoc })) };
}

/**
 * `xfbench score`: another system's predictions, scored exactly as `run` scores its own, into a normal
 * run folder. Samples are streamed, scored, written and aggregated one at a time: memory stays flat.
 */
export async function executeScore(opts: ScoreOptions): Promise<ScoreOutcome> {
  // a protocol that cannot be read is refused before anything is created
  const protocol = await loadProtocol(opts.protocol);
  const fromRun = opts.fromRun ? await runAnswers(opts.fromRun, opts.dataset) : undefined;
  // scoring reads answers and annotations only: the release's images need not be there
  const { adapter, dataset, metrics, ctx } = await openEvaluation(opts.dataset, {
    ...opts,
    data: opts.data ?? fromRun?.dataDir,
    imagesOptional: true,
  });
  const { file, preds } = fromRun ?? (await fileAnswers(opts.predictions!, adapter, dataset));
  const name = opts.name ?? `${path.basename(file).replace(/\.[^.]+$/, '')}${opts.fromRun ? (opts.raw ? '-raw' : '-rescored') : ''}`;
  const runDir = await openRunDir(opts.out, adapter.id, name, 'refuse');
  const writer = new PredictionWriter(path.join(runDir, PREDICTIONS_FILE));
  const scorer = scorerFor(metrics, adapter.id, (t) => dataset.normalisePrediction(t), protocol);
  const tally = new RunTally(metrics, ctx);
  const unmatched = preds.byId; // shrinks as predictions are used; what is left names no question
  let questions = 0;
  try {
    for await (const sample of dataset.samples()) {
      questions += 1;
      const answer = unmatched.get(sample.id);
      if (answer === undefined) continue;
      unmatched.delete(sample.id);
      const line = scorer.line(sample, answer, { raw: opts.raw });
      writer.append(line);
      tally.add(line);
    }
    if (unmatched.size > 0) {
      throw new XfError(
        'E_PREDICTION_UNKNOWN_ID',
        `${unmatched.size} predictions name questions the dataset does not have (e.g. "${unmatched.keys().next().value as string}")`,
        {
          file,
          suggestion: 'Check that --data points at the split these predictions were made on.',
        },
      );
    }
  } catch (err) {
    writer.close();
    await removeUnfinishedRun(runDir); // a bad input leaves no half-written run behind
    throw err;
  }
  writer.close();
  const totals = tally.finish();
  // the log is in dataset order: its columnar copy is one more pass, with the tally's maps gone
  await writeResultsFromLog(runDir);
  const record: RunRecord = {
    ...recordHeader('score'),
    bundle: null,
    predictionsSource: { file, sha256: preds.sha256, format: preds.format },
    provider: null,
    config: {
      name,
      raw: Boolean(opts.raw),
      metrics: metrics.map((m) => m.id),
      allQuestions: Boolean(opts.allQuestions),
      choices: opts.choices ? path.resolve(opts.choices) : null,
      protocol: protocol.id,
    },
    ...outcomeFields({ id: adapter.id, dir: dataset.dir, sha256: dataset.hash(), questions }, totals),
    timings: {},
  };
  await writeRunRecord(runDir, record);
  return { runDir, record, name, format: preds.format, questions, scored: totals.evaluated, metrics: totals.metrics };
}
