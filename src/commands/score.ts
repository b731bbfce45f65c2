import { Flags } from '@oclif/core';
import path from 'node:path';
import { XfCommand } from '../lib/base-command.js';
import type { MetricValue } from '../metrics/types.js';
import { datasetArg, datasetFlags } from './shared-flags.js';

export interface ScoreSummary {
  runDir: string;
  dataset: string;
  scored: number;
  withoutPrediction: number;
  metrics: MetricValue[];
}

export default class Score extends XfCommand {
  static override summary = "Score another system's predictions into a run directory, without loading a model.";
  static override description =
    "Reads GQA's official predictions list ([{questionId, prediction}] as .json), a JSONL of {id, prediction}, or a CSV with id and prediction columns, " +
    'scores it exactly as `xfbench run` would, and writes a normal run directory that `compare` and `report` read.';
  static override examples = [
    '<%= config.bin %> score gqa --data /data/gqa --predictions testdev_balanced_predictions.json',
    '<%= config.bin %> score gqa --predictions preds.jsonl --out runs/other-harness',
  ];
  static override enableJsonFlag = true;
  static override args = datasetArg;
  static override flags = {
    predictions: Flags.string({ description: 'predictions file (.json GQA list, .jsonl, or .csv)', required: true }),
    name: Flags.string({ description: 'a name for the system that made the predictions (default: the file name)' }),
    raw: Flags.boolean({ description: "compare predictions as given, without the benchmark's answer normalisation", default: false }),
    ...datasetFlags,
  };

  async run(): Promise<ScoreSummary> {
    const { args, flags } = await this.parse(Score);
    const [prep, predsMod, runDirMod, record, table, { predictionLine }, { XfError }] = await Promise.all([
      import('../runs/prepare.js'), import('../runs/predictions-file.js'), import('../runs/run-dir.js'),
      import('../runs/run-record.js'), import('../report/table.js'), import('../core/evaluate.js'), import('../lib/errors.js'),
    ]);
    const file = path.resolve(flags.predictions);
    const preds = await predsMod.readPredictionsFile(file);
    const { adapter, dataset, metrics, ctx } = await prep.prepareStreamingEvaluation(args.dataset, { data: flags.data, choices: flags.choices, allQuestions: flags['all-questions'], imageTemplate: flags['image-template'] });
    const name = flags.name ?? path.basename(file).replace(/\.[^.]+$/, '');
    const runDir = await prep.createOutputDir(flags.out, adapter.id, name);
    const predictionsFile = path.join(runDir, runDirMod.PREDICTIONS_FILE);
    const writer = new runDirMod.PredictionWriter(predictionsFile);
    // samples are streamed, scored, written and aggregated one at a time: memory stays flat
    const accumulators = metrics.map((m) => prep.accumulatorFor(m, ctx));
    const unmatched = preds.byId; // shrinks as predictions are used; what is left names no question
    let questions = 0;
    let scored = 0;
    try {
      for await (const sample of dataset.samples()) {
        questions += 1;
        const raw = unmatched.get(sample.id);
        if (raw === undefined) continue;
        unmatched.delete(sample.id);
        const prediction = flags.raw ? raw : dataset.normalisePrediction(raw);
        const line = predictionLine(sample, prediction, Object.assign({}, ...metrics.map((m) => m.score(sample, prediction))) as Record<string, number>);
        writer.append(line);
        for (const a of accumulators) a.add(line);
        scored += 1;
      }
      if (unmatched.size > 0) {
        throw new XfError('E_PREDICTION_UNKNOWN_ID', `${unmatched.size} predictions name questions the dataset does not have (e.g. "${unmatched.keys().next().value as string}")`, {
          file, suggestion: 'Check that --data points at the split these predictions were made on.',
        });
      }
    } catch (err) {
      writer.close();
      await runDirMod.removeUnfinishedRun(runDir); // a bad input leaves no half-written run behind
      throw err;
    }
    writer.close();
    const values = accumulators.flatMap((a) => a.finish());
    const missing = questions - scored;
    await record.writeRunRecord(runDir, {
      ...record.recordHeader('score'),
      bundle: null,
      predictionsSource: { file, sha256: preds.sha256, format: preds.format },
      dataset: { id: adapter.id, dir: dataset.dir, sha256: dataset.hash(), questions, evaluated: scored },
      provider: null,
      config: { name, raw: flags.raw, metrics: metrics.map((m) => m.id), allQuestions: flags['all-questions'], choices: flags.choices ? path.resolve(flags.choices) : null },
      timings: {},
      metrics: values,
    });
    if (!this.jsonEnabled()) {
      if (missing > 0) process.stderr.write(`xfbench: ${missing} of ${questions} questions have no prediction; scored the ${scored} that do\n`);
      this.log(table.renderMetricTables(values, `${adapter.id} · ${name} (scored from ${preds.format}) · ${scored} questions`, { details: flags.details }));
      this.log(`run written to ${prep.displayPath(runDir)}`);
    }
    return { runDir, dataset: adapter.id, scored, withoutPrediction: missing, metrics: values };
  }
}
