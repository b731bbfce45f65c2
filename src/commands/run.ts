import { Flags } from '@oclif/core';
import path from 'node:path';
import { XfCommand } from '../lib/base-command.js';
import type { GateResult } from '../compare/gate.js';
import type { MetricValue } from '../metrics/types.js';
import { datasetArg, datasetFlags } from './shared-flags.js';

export interface RunSummary {
  runDir: string;
  dataset: string;
  bundle: string;
  provider: { requested: string; used: string; note?: string };
  questions: number;
  metrics: MetricValue[];
  gate?: GateResult;
}

export default class Run extends XfCommand {
  static override summary = 'Evaluate a model bundle on a benchmark and write a run directory.';
  static override description =
    'Runs every question of the dataset through the bundle (vision encoders, fusion module, LM with a key/value cache) on onnxruntime, ' +
    'scores each prediction, and writes run.json and predictions.jsonl. Without --model and --data it evaluates the bundled tiny X-Former on the bundled mini set.';
  static override examples = [
    '<%= config.bin %> run gqa',
    '<%= config.bin %> run gqa --model fixtures/models/xf-tiny-clip --out runs/clip',
    '<%= config.bin %> run gqa --data /data/gqa --model ckpt/ --device cuda --threads 8',
    '<%= config.bin %> run gqa --limit 200 --json',
  ];
  static override enableJsonFlag = true;
  static override args = datasetArg;
  static override flags = {
    model: Flags.string({ description: 'model bundle folder holding xfbench.json (default: the bundled xf-tiny-xformer)' }),
    ...datasetFlags,
    limit: Flags.integer({ description: 'evaluate only the first N questions', min: 1 }),
    device: Flags.string({ description: 'execution provider', options: ['auto', 'cpu', 'cuda'], default: 'auto' }),
    threads: Flags.integer({ description: "onnxruntime intra-op threads (default: the runtime's choice)", min: 1 }),
    baseline: Flags.string({ description: 'after the run, compare it with this baseline run directory', dependsOn: ['gate'] }),
    gate: Flags.string({ description: 'gate file applied to the comparison with --baseline (exit 3 when it fails)', dependsOn: ['baseline'] }),
  };

  async run(): Promise<RunSummary> {
    const { args, flags } = await this.parse(Run);
    // heavy modules (onnxruntime, sharp) load here, not at start-up, so --help stays fast
    const [{ loadBundle }, { VisionLanguageModel }, { evaluate }, prep, runDirMod, record, table] = await Promise.all([
      import('../core/manifest.js'), import('../core/model.js'), import('../core/evaluate.js'), import('../runs/prepare.js'),
      import('../runs/run-dir.js'), import('../runs/run-record.js'), import('../report/table.js'),
    ]);
    const { packageRoot } = await import('../lib/package-root.js');
    const started = performance.now();
    // a bad gate file or baseline is refused before any model work
    if (flags.gate) await (await import('../compare/gate.js')).loadGate(path.resolve(flags.gate));
    if (flags.baseline) await (await import('../runs/read-run.js')).readRun(path.resolve(flags.baseline));
    const modelDir = flags.model ? path.resolve(flags.model) : path.join(packageRoot(), 'fixtures/models/xf-tiny-xformer');
    const bundle = await loadBundle(modelDir);
    const { adapter, dataset, metrics, ctx } = await prep.prepareEvaluation(args.dataset, { data: flags.data, choices: flags.choices, allQuestions: flags['all-questions'], imageTemplate: flags['image-template'] });
    const runDir = await prep.createOutputDir(flags.out, adapter.id, bundle.manifest.name);
    const model = await VisionLanguageModel.open(bundle, { device: flags.device as 'auto' | 'cpu' | 'cuda', threads: flags.threads });
    if (model.provider.note && !this.jsonEnabled()) process.stderr.write(`xfbench: ${model.provider.note}\n`);
    const loadMs = performance.now() - started;

    const writer = new runDirMod.PredictionWriter(path.join(runDir, runDirMod.PREDICTIONS_FILE));
    const showProgress = process.stderr.isTTY && !this.jsonEnabled();
    const evalStart = performance.now();
    let result;
    try {
      result = await evaluate(model, dataset, writer, {
        limit: flags.limit,
        score: (sample, prediction) => Object.assign({}, ...metrics.map((m) => m.score(sample, prediction))) as Record<string, number>,
        onProgress: showProgress ? (d, t) => process.stderr.write(table.progressLine(d, t, evalStart)) : undefined,
      });
    } finally {
      writer.close();
      await model.dispose();
      if (showProgress) process.stderr.write('\n');
    }
    const evaluateMs = performance.now() - evalStart;
    const values = prep.aggregateAll(metrics, result.rows, ctx);
    await record.writeRunRecord(runDir, {
      ...record.recordHeader('run'),
      bundle: { name: bundle.manifest.name, dir: modelDir, sha256: bundle.hash, fusionKind: bundle.manifest.fusionKind, formatVersion: bundle.manifest.formatVersion },
      dataset: { id: adapter.id, dir: dataset.dir, sha256: dataset.hash, questions: dataset.samples.length, evaluated: result.rows.length },
      provider: model.provider,
      config: {
        limit: flags.limit ?? null, device: flags.device, threads: flags.threads ?? null, batchSize: 1,
        metrics: metrics.map((m) => m.id), allQuestions: flags['all-questions'], choices: flags.choices ? path.resolve(flags.choices) : null,
      },
      timings: {
        loadMs: Math.round(loadMs), evaluateMs: Math.round(evaluateMs), wallMs: Math.round(performance.now() - started),
        visionMs: Math.round(result.timings.visionMs), generateMs: Math.round(result.timings.generateMs),
        images: result.timings.images, questionsPerSecond: Number((result.rows.length / (evaluateMs / 1000)).toFixed(2)),
      },
      metrics: values,
    });
    if (!this.jsonEnabled()) {
      this.log(table.renderMetricTables(values, `${adapter.id} · ${bundle.manifest.name} · ${result.rows.length} questions · ${model.provider.used}`, { details: flags.details }));
      this.log(`run written to ${prep.displayPath(runDir)}`);
    }
    const summary: RunSummary = { runDir, dataset: adapter.id, bundle: bundle.manifest.name, provider: model.provider, questions: result.rows.length, metrics: values };
    if (flags.baseline && flags.gate) {
      const { compareAndGate } = await import('../compare/command-core.js');
      const { gate } = await compareAndGate(path.resolve(flags.baseline), runDir, { gate: path.resolve(flags.gate), print: this.jsonEnabled() ? undefined : (t) => this.log(t) });
      summary.gate = gate;
      if (gate && !gate.passed) {
        if (this.jsonEnabled()) this.logJson(summary);
        const { EXIT } = await import('../lib/errors.js');
        this.exit(EXIT.gateFailed);
      }
    }
    return summary;
  }
}
