import { Flags } from '@oclif/core';
import { XfCommand } from '../lib/base-command.js';
import type { MetricValue } from '../metrics/types.js';
import { datasetArg, datasetFlags, protocolFlag } from './shared-flags.js';

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
    "Reads GQA's official predictions list ([{questionId, prediction}] as .json), the official VQA results file ([{question_id, answer}]), a JSONL of {id, prediction}, " +
    'or a CSV with id and prediction columns, or (--from-run) the answers of an xfbench run as the model gave them; scores them exactly as `xfbench run` would, ' +
    'and writes a normal run directory that `compare` and `report` read.';
  static override examples = [
    '<%= config.bin %> score gqa --data /data/gqa --predictions testdev_balanced_predictions.json',
    '<%= config.bin %> score gqa --predictions preds.jsonl --out runs/other-harness',
    '<%= config.bin %> score vqav2 --data /data/vqav2 --predictions OpenEnded_mscoco_val2014_fake_results.json',
    '<%= config.bin %> score gqa --from-run runs/xformer --raw --out runs/xformer-raw',
  ];
  static override enableJsonFlag = true;
  static override args = datasetArg;
  static override flags = {
    'predictions': Flags.string({
      description:
        'predictions file: a GQA ([{questionId, prediction}]) or VQA ([{question_id, answer}]) .json list, a .jsonl of {id, prediction}, or a .csv',
      exactlyOne: ['predictions', 'from-run'],
    }),
    'from-run': Flags.string({
      description: "score an xfbench run's answers again, as it generated them (e.g. with --raw), into a new run",
      exactlyOne: ['predictions', 'from-run'],
    }),
    'name': Flags.string({ description: 'a name for the system that made the predictions (default: the file name)' }),
    'raw': Flags.boolean({ description: "compare predictions as given, without the benchmark's answer normalisation", default: false }),
    'protocol': protocolFlag,
    ...datasetFlags,
  };

  async run(): Promise<ScoreSummary> {
    const { args, flags } = await this.parse(Score);
    const [{ executeScore }, table, { displayPath }] = await Promise.all([
      import('../pipeline/execute-score.js'),
      import('../report/table.js'),
      import('../lib/display-path.js'),
    ]);
    const outcome = await executeScore({
      dataset: args.dataset,
      predictions: flags.predictions,
      fromRun: flags['from-run'],
      name: flags.name,
      out: flags.out,
      raw: flags.raw,
      protocol: flags.protocol,
      data: flags.data,
      choices: flags.choices,
      allQuestions: flags['all-questions'],
      imageTemplate: flags['image-template'],
    });
    const missing = outcome.questions - outcome.scored;
    if (!this.jsonEnabled()) {
      if (missing > 0)
        process.stderr.write(
          `xfbench: ${missing} of ${outcome.questions} questions have no prediction; scored the ${outcome.scored} that do\n`,
        );
      const title = `${outcome.record.dataset.id} · ${outcome.name} (scored from ${outcome.format}) · ${outcome.scored} questions`;
      this.log(table.renderMetricTables(outcome.metrics, title, { details: flags.details, families: outcome.record.families }));
      this.log(`run written to ${displayPath(outcome.runDir)}`);
    }
    return {
      runDir: outcome.runDir,
      dataset: outcome.record.dataset.id,
      scored: outcome.scored,
      withoutPrediction: missing,
      metrics: outcome.metrics,
    };
  }
}
