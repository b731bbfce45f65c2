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
    const { adapter, dataset, metrics, ctx } = await prep.prepareEvaluation(args.dataset, { data: flags.data, choices: flags.choices, allQuestions: flags['all-questions'], imageTemplate: flags['image-template'] });
    const known = new Set(dataset.samples.map((s) => s.id));
    const unknown = [...preds.byId.keys()].filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new XfError('E_PREDICTION_UNKNOWN_ID', `${unknown.length} predictions name questions the dataset does not have (e.g. "${unknown[0]}")`, {
        file, suggestion: 'Check that --data points at the split these predictions were made on.',
      });
    }
    const name = flags.name ?? path.basename(file).replace(/\.[^.]+$/, '');
    const runDir = await prep.createOutputDir(flags.out, adapter.id, name);
    const writer = new runDirMod.PredictionWriter(path.join(runDir, runDirMod.PREDICTIONS_FILE));
    const rows = [];
    try {
      for (const sample of dataset.samples) {
        const raw = preds.byId.get(sample.id);
        if (raw === undefined) continue;
        const prediction = flags.raw ? raw : dataset.normalisePrediction(raw);
        const line = predictionLine(sample, prediction, Object.assign({}, ...metrics.map((m) => m.score(sample, prediction))) as Record<string, number>);
        writer.append(line);
        rows.push(line);
      }
    } finally {
      writer.close();
    }
    const values = prep.aggregateAll(metrics, rows, ctx);
    const missing = dataset.samples.length - rows.length;
    await record.writeRunRecord(runDir, {
      ...record.recordHeader('score'),
      bundle: null,
      predictionsSource: { file, sha256: preds.sha256, format: preds.format },
      dataset: { id: adapter.id, dir: dataset.dir, sha256: dataset.hash, questions: dataset.samples.length, evaluated: rows.length },
      provider: null,
      config: { name, raw: flags.raw, metrics: metrics.map((m) => m.id), allQuestions: flags['all-questions'], choices: flags.choices ? path.resolve(flags.choices) : null },
      timings: {},
      metrics: values,
    });
    if (!this.jsonEnabled()) {
      if (missing > 0) process.stderr.write(`xfbench: ${missing} of ${dataset.samples.length} questions have no prediction; scored the ${rows.length} that do\n`);
      this.log(table.renderMetricTables(values, `${adapter.id} · ${name} (scored from ${preds.format}) · ${rows.length} questions`, { details: flags.details }));
      this.log(`run written to ${prep.displayPath(runDir)}`);
    }
    return { runDir, dataset: adapter.id, scored: rows.length, withoutPrediction: missing, metrics: values };
  }
}
