import path from 'node:path';
import { ResultsFileWriter } from '../runs/results-file.js';
import { XfError } from '../lib/errors.js';
import { readPredictionLines, PredictionWriter, type PredictionLine } from '../runs/prediction-line.js';
import { openRunDir, PREDICTIONS_FILE, RUN_FILE } from '../runs/run-dir.js';
import { ANSWER_SETTING_FLAGS, answerSettingsOf, firstAnswerDifference, sharedSpeedSettings } from '../runs/run-config.js';
import { outcomeFields, readRunRecord, recordHeader, writeRunRecord, type RunRecord } from '../runs/run-record.js';
import { aggregateInDatasetOrder, firstSamples } from './dataset-passes.js';
import { openEvaluation } from './open-dataset.js';
import { planByImage, windows } from './plan.js';
import { RunTally } from './scoring.js';
import { DEFAULT_WINDOW } from './settings.js';
import { shardLabel, shardOf, type Shard } from './shards.js';

export interface MergeOutcome {
  runDir: string;
  record: RunRecord;
  shards: number;
}

interface ShardRun {
  dir: string;
  record: RunRecord;
  shard: Shard;
}

function fail(dir: string, message: string, suggestion?: string): XfError {
  return new XfError('E_MERGE', message, { file: path.join(dir, RUN_FILE), suggestion });
}

/** Every shard finished, of one dataset, bundle and set of settings, and together covering 0..N-1 exactly once. */
async function readShards(dirs: readonly string[]): Promise<ShardRun[]> {
  const runs: ShardRun[] = [];
  for (const dir of dirs) {
    const record = await readRunRecord(dir);
    const shard = record.config.shard;
    if (!shard) throw fail(dir, 'this run is not a shard (it was not run with --shard)');
    if (record.status !== 'complete')
      throw fail(
        dir,
        `shard ${shardLabel(shard)} is not finished (status: ${record.status ?? 'unknown'})`,
        'Run its command again to finish it, then merge.',
      );
    runs.push({ dir, record, shard });
  }
  const first = runs[0]!;
  for (const r of runs.slice(1)) {
    // speed settings (threads, batch size, ...) may differ: shards on nodes of different sizes are the usual case
    const setting = firstAnswerDifference(first.record.config, r.record.config);
    const what =
      r.record.fingerprint?.bundle !== first.record.fingerprint?.bundle
        ? 'model bundle'
        : r.record.fingerprint?.dataset !== first.record.fingerprint?.dataset
          ? 'dataset files'
          : r.shard.count !== first.shard.count
            ? `number of shards (${r.shard.count}, not ${first.shard.count})`
            : setting
              ? `setting (${ANSWER_SETTING_FLAGS[setting.key]}: ${setting.b}, not ${setting.a})`
              : undefined;
    if (what)
      throw fail(r.dir, `shard ${shardLabel(r.shard)} was run with another ${what} than shard ${shardLabel(first.shard)} (${first.dir})`);
  }
  const byIndex = new Map<number, ShardRun>();
  for (const r of runs) {
    const twin = byIndex.get(r.shard.index);
    if (twin) throw fail(r.dir, `shard ${shardLabel(r.shard)} is given twice (also ${twin.dir})`);
    byIndex.set(r.shard.index, r);
  }
  const missing = Array.from({ length: first.shard.count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0)
    throw fail(
      first.dir,
      `shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${first.shard.count}`).join(', ')} missing`,
      'Pass every shard folder of the run.',
    );
  return runs.sort((a, b) => a.shard.index - b.shard.index);
}

/**
 * `xfbench merge`: shard folders of one run joined into one run folder, equal to the run made in one
 * piece: its predictions in the order an unsharded run writes them (the dataset planned window by
 * window, grouped by image), and its figures aggregated in dataset order.
 */
export async function executeMerge(dirs: readonly string[], out: string): Promise<MergeOutcome> {
  const shards = await readShards(dirs.map((d) => path.resolve(d)));
  const base = shards[0]!.record;
  const config = base.config;
  const { dataset, metrics, ctx } = await openEvaluation(base.dataset.id, {
    data: base.dataset.dir,
    choices: config.choices ?? undefined,
    allQuestions: config.allQuestions,
    imageTemplate: config.imageTemplate ?? undefined,
    imagesOptional: true,
  });
  const limit = config.limit ?? undefined;
  // every line of every shard, checked to lie in its shard; held in memory until written in order
  const lines = new Map<string, PredictionLine>();
  for (const s of shards) {
    for await (const line of readPredictionLines(path.join(s.dir, PREDICTIONS_FILE))) {
      if (shardOf(line.group, s.shard.count) !== s.shard.index)
        throw fail(s.dir, `question ${line.id} does not belong to shard ${shardLabel(s.shard)}`);
      if (lines.has(line.id)) throw fail(s.dir, `question ${line.id} appears in two shards`);
      lines.set(line.id, line);
    }
  }
  const runDir = await openRunDir(out, base.dataset.id, base.bundle?.name ?? 'merged', 'refuse');
  const writer = new PredictionWriter(path.join(runDir, PREDICTIONS_FILE));
  const tally = new RunTally(metrics, ctx);
  let missing: string | undefined;
  try {
    const window = config.window ?? DEFAULT_WINDOW;
    for await (const part of windows(firstSamples(dataset.samples(), limit), window)) {
      for (const sample of planByImage(part).flat()) {
        const line = lines.get(sample.id);
        if (!line) {
          missing ??= sample.id;
          continue;
        }
        writer.append(line);
        lines.delete(sample.id);
      }
    }
  } finally {
    writer.close();
  }
  if (missing) throw fail(shards[0]!.dir, `question ${missing} is in no shard`, 'The shards are incomplete or of other data.');
  if (lines.size > 0)
    throw fail(
      shards[0]!.dir,
      `the shards hold ${lines.size} questions the dataset does not have (e.g. ${lines.keys().next().value as string})`,
    );
  // the figures, as a run aggregates them: in dataset order
  const totals = await aggregateInDatasetOrder(
    firstSamples(dataset.samples(), limit),
    path.join(runDir, PREDICTIONS_FILE),
    tally,
    new ResultsFileWriter(runDir),
  );
  const record: RunRecord = {
    ...base,
    ...recordHeader('run'),
    status: 'complete',
    fingerprint: base.fingerprint
      ? { bundle: base.fingerprint.bundle, dataset: base.fingerprint.dataset, settings: base.fingerprint.settings }
      : undefined,
    // the speed settings all shards shared; one that differed between them describes no single run
    config: {
      ...answerSettingsOf(config),
      ...sharedSpeedSettings(shards.map((s) => s.record.config)),
      shard: null,
      mergedFrom: shards.map((s) => s.dir),
    },
    ...outcomeFields(base.dataset, totals),
    resumed: undefined,
    timings: { shards: shards.length, evaluateMs: shards.reduce((a, s) => a + (s.record.timings['evaluateMs'] ?? 0), 0) },
  };
  await writeRunRecord(runDir, record);
  return { runDir, record, shards: shards.length };
}
