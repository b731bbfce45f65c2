import { Args, Flags } from '@oclif/core';
import path from 'node:path';
import { evaluate } from '../core/evaluate.js';
import { loadBundle } from '../core/manifest.js';
import { VisionLanguageModel } from '../core/model.js';
import { datasetRegistry } from '../datasets/registry.js';
import { XfCommand } from '../lib/base-command.js';
import { XfError } from '../lib/errors.js';
import { gitCommit } from '../lib/git.js';
import { packageRoot, packageVersion } from '../lib/package-root.js';
import { metricRegistry } from '../metrics/registry.js';
import type { MetricValue } from '../metrics/types.js';
import { progressLine, renderMetricTable } from '../report/table.js';
import { createRunDir, defaultRunDir, PREDICTIONS_FILE, PredictionWriter, RUN_FILE, writeFileAtomic } from '../runs/run-dir.js';

export interface RunSummary {
  runDir: string;
  dataset: string;
  bundle: string;
  provider: { requested: string; used: string; note?: string };
  questions: number;
  metrics: MetricValue[];
}

/** Relative to the working folder when inside it, absolute otherwise. */
function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
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
  static override args = { dataset: Args.string({ description: 'dataset id (e.g. gqa)', required: true }) };
  static override flags = {
    model: Flags.string({ description: 'model bundle folder (holds xfbench.json)', default: 'fixtures/models/xf-tiny-xformer (bundled)' }),
    data: Flags.string({ description: 'dataset folder in the official layout', default: "the dataset's bundled mini set" }),
    out: Flags.string({ description: 'run folder to create (default: runs/<time>-<dataset>-<bundle>)' }),
    limit: Flags.integer({ description: 'evaluate only the first N questions', min: 1 }),
    device: Flags.string({ description: 'execution provider', options: ['auto', 'cpu', 'cuda'], default: 'auto' }),
    threads: Flags.integer({ description: "onnxruntime intra-op threads (default: the runtime's choice)", min: 1 }),
  };

  async run(): Promise<RunSummary> {
    const { args, flags } = await this.parse(Run);
    const started = performance.now();
    const root = packageRoot();
    const adapter = await datasetRegistry().get(args.dataset);
    const modelDir = flags.model.endsWith('(bundled)') ? path.join(root, 'fixtures/models/xf-tiny-xformer') : path.resolve(flags.model);
    const dataDir = flags.data.startsWith("the dataset's") ? path.join(root, adapter.defaultDir) : path.resolve(flags.data);

    const bundle = await loadBundle(modelDir);
    const dataset = await adapter.open(dataDir);
    const metrics = await Promise.all(dataset.metrics.map((id) => metricRegistry().get(id)));
    const runDir = path.resolve(flags.out ?? defaultRunDir(process.cwd(), adapter.id, bundle.manifest.name));
    await createRunDir(runDir);
    const model = await VisionLanguageModel.open(bundle, { device: flags.device as 'auto' | 'cpu' | 'cuda', threads: flags.threads });
    if (model.provider.note && !this.jsonEnabled()) process.stderr.write(`xfbench: ${model.provider.note}\n`);
    const loadMs = performance.now() - started;

    const writer = new PredictionWriter(path.join(runDir, PREDICTIONS_FILE));
    const showProgress = process.stderr.isTTY && !this.jsonEnabled();
    const evalStart = performance.now();
    let result;
    try {
      result = await evaluate(model, dataset, metrics, writer, {
        limit: flags.limit,
        onProgress: showProgress ? (d, t) => process.stderr.write(progressLine(d, t, evalStart)) : undefined,
      });
    } finally {
      writer.close();
      await model.dispose();
      if (showProgress) process.stderr.write('\n');
    }
    if (result.rows.length === 0) throw new XfError('E_EMPTY_DATASET', 'no questions were evaluated', { file: dataDir });
    const wallMs = performance.now() - started;
    const runJson = {
      xfbenchVersion: packageVersion(),
      createdAt: new Date().toISOString(),
      command: ['xfbench', 'run', ...process.argv.slice(3)].join(' '),
      gitCommit: gitCommit(root),
      bundle: { name: bundle.manifest.name, dir: modelDir, sha256: bundle.hash, fusionKind: bundle.manifest.fusionKind, formatVersion: bundle.manifest.formatVersion },
      dataset: { id: adapter.id, dir: dataDir, sha256: dataset.hash, questions: dataset.samples.length, evaluated: result.rows.length },
      provider: model.provider,
      config: { limit: flags.limit ?? null, device: flags.device, threads: flags.threads ?? null, metrics: metrics.map((m) => m.id), batchSize: 1 },
      timings: {
        loadMs: Math.round(loadMs), evaluateMs: Math.round(performance.now() - evalStart), wallMs: Math.round(wallMs),
        visionMs: Math.round(result.timings.visionMs), generateMs: Math.round(result.timings.generateMs),
        images: result.timings.images, questionsPerSecond: result.rows.length / ((performance.now() - evalStart) / 1000),
      },
      metrics: result.metrics,
    };
    await writeFileAtomic(path.join(runDir, RUN_FILE), `${JSON.stringify(runJson, null, 2)}\n`);
    if (!this.jsonEnabled()) {
      this.log(renderMetricTable(result.metrics, `${adapter.id} · ${bundle.manifest.name} · ${result.rows.length} questions · ${model.provider.used}`));
      this.log(`run written to ${displayPath(runDir)}`);
    }
    return { runDir, dataset: adapter.id, bundle: bundle.manifest.name, provider: model.provider, questions: result.rows.length, metrics: result.metrics };
  }
}
