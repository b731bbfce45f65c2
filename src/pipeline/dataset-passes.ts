import type { Sample, StreamedDataset } from '../datasets/types.js';
import { XfError } from '../lib/errors.js';
import { readPredictionLines, type PredictionLine } from '../runs/prediction-line.js';
import type { ResultsFileWriter } from '../runs/results-file.js';
import type { RunTally, RunTotals } from './scoring.js';
import { shardOf, type Shard } from './shards.js';

/**
 * The passes `run` makes over a streamed dataset. None holds the samples: a million-question file is
 * read three times (check, evaluate, aggregate) rather than kept in memory once.
 */

/** The first `limit` samples of a stream (all of them without a limit). */
export async function* firstSamples(samples: AsyncIterable<Sample>, limit?: number): AsyncGenerator<Sample> {
  if (limit === undefined) {
    yield* samples;
    return;
  }
  let n = 0;
  for await (const s of samples) {
    yield s;
    if (++n >= limit) return;
  }
}

export interface DatasetSurvey {
  /** Questions in the whole dataset. */
  questions: number;
  /** Questions this run covers (after --limit). */
  inScope: number;
  hash: string;
}

/** Reads the dataset through once before any model work: validates every record, counts, hashes. */
export async function surveyDataset(dataset: StreamedDataset, limit: number | undefined, shard?: Shard): Promise<DatasetSurvey> {
  let questions = 0;
  let inScope = 0;
  for await (const s of dataset.samples()) {
    questions += 1;
    if ((limit === undefined || questions <= limit) && (!shard || shardOf(s.group, shard.count) === shard.index)) inScope += 1;
  }
  return { questions, inScope, hash: dataset.hash() };
}

/** A resumed run's answers must all name questions of this run (one more pass, on resume only). */
export async function checkAnswersBelong(
  samples: AsyncIterable<Sample>,
  answered: ReadonlySet<string>,
  predictionsFile: string,
): Promise<void> {
  if (answered.size === 0) return;
  const unmatched = new Set(answered);
  for await (const s of samples) unmatched.delete(s.id);
  if (unmatched.size > 0) {
    const foreign = unmatched.values().next().value as string;
    throw new XfError('E_RUN_CORRUPT', `predictions hold question "${foreign}", which this dataset does not have`, {
      file: predictionsFile,
    });
  }
}

/**
 * Aggregates the run's predictions in dataset order, whatever order they were written in (grouped by
 * image, or across resumed attempts), so a resumed run's figures equal an uninterrupted one's. Lines
 * read ahead of their sample wait in a map; a run writes them window by window, so it stays small.
 */
export async function aggregateInDatasetOrder(
  samples: AsyncIterable<Sample>,
  predictionsFile: string,
  tally: RunTally,
  /** Also given each line in dataset order (the run's results.parquet). */
  results?: ResultsFileWriter,
): Promise<RunTotals> {
  const lines = readPredictionLines(predictionsFile)[Symbol.asyncIterator]();
  const waiting = new Map<string, PredictionLine>();
  let exhausted = false;
  const lineFor = async (id: string): Promise<PredictionLine | undefined> => {
    while (!waiting.has(id) && !exhausted) {
      const next = await lines.next();
      if (next.done) exhausted = true;
      else waiting.set(next.value.id, next.value);
    }
    const line = waiting.get(id);
    waiting.delete(id);
    return line;
  };
  try {
    for await (const sample of samples) {
      const line = await lineFor(sample.id);
      if (!line) continue;
      tally.add(line);
      results?.add(line);
    }
    results?.finish();
  } finally {
    results?.abandon();
    await lines.return?.(undefined);
  }
  return tally.finish();
}
