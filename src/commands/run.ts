import { Flags } from '@oclif/core';
import path from 'node:path';
import type { GateResult } from '../compare/gate.js';
import { XfCommand } from '../lib/base-command.js';
import type { MetricValue } from '../metrics/types.js';
import { DEFAULT_BATCH_SIZE, DEFAULT_PREFETCH, DEFAULT_WINDOW } from '../pipeline/settings.js';
import type { DeviceRequest } from '../core/bundle/devices.js';
import {
  datasetArg,
  datasetFlags,
  deviceFlag,
  endpointFlags,
  endpointOptions,
  gateFlags,
  protocolFlag,
  threadsFlag,
} from './shared-flags.js';

export interface RunSummary {
  runDir: string;
  dataset: string;
  bundle: string;
  provider: { requested: string; used: string; note?: string };
  status: 'complete' | 'stopped';
  questions: number;
  resumedFrom: number;
  errors: number;
  metrics: MetricValue[];
  gate?: GateResult;
}

export default class Run extends XfCommand {
  static override summary = 'Evaluate a model bundle on a benchmark and write a run directory.';
  static override description =
    'Runs every question of the dataset through the bundle (vision encoders, fusion module, LM with a key/value cache) on onnxruntime, ' +
    'scores each prediction, and writes run.json, predictions.jsonl and, once finished, results.parquet (the same lines as columns). Without --model and --data it evaluates the bundled tiny X-Former on the bundled mini set. ' +
    'Pointed at an unfinished run (same bundle, data and settings), it continues where that run stopped.';
  static override examples = [
    '<%= config.bin %> run gqa',
    '<%= config.bin %> run gqa --model fixtures/models/xf-tiny-clip --out runs/clip',
    '<%= config.bin %> run gqa --data /data/gqa --model ckpt/ --device cuda --threads 8 --cache-dir ~/.cache/xfbench',
    "<%= config.bin %> run gqa --model bundles/blip2-opt --num-beams 1   # greedy instead of the bundle's 5 beams",
    'OPENAI_API_KEY=... <%= config.bin %> run gqa --model openai:http://127.0.0.1:8000/v1 --endpoint-model llava-hf/llava-1.5-7b-hf --concurrency 16',
    '<%= config.bin %> run gqa --out runs/clip   # again, after a crash: continues the run',
    '<%= config.bin %> run gqa --model cand/ --baseline baselines/gqa --gate gate.json',
    '<%= config.bin %> run gqa --ablate mae=shuffle --out runs/xformer-no-mae   # then: compare runs/xformer runs/xformer-no-mae',
    '<%= config.bin %> run gqa --data /data/gqa --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" --out runs/gqa/shard-$SLURM_ARRAY_TASK_ID',
  ];
  static override enableJsonFlag = true;
  static override args = datasetArg;
  static override flags = {
    'model': Flags.string({
      description:
        'model bundle folder holding xfbench.json, a Hugging Face checkpoint folder (converted once into ~/.cache/xfbench, then reused), or openai:URL for a served model (docs/endpoints.md) (default: the bundled xf-tiny-xformer)',
    }),
    ...endpointFlags,
    ...datasetFlags,
    'limit': Flags.integer({ description: 'evaluate only the first N questions', min: 1 }),
    'device': deviceFlag,
    'threads': threadsFlag,
    'cache-dir': Flags.string({ description: 'keep visual tokens on disk across runs (keyed by bundle and image content)' }),
    'vision-cache': Flags.boolean({
      description: 'reuse visual tokens of identical images (--no-vision-cache to recompute)',
      default: true,
      allowNo: true,
    }),
    'prefetch': Flags.integer({ description: 'images decoded ahead while the model runs', default: DEFAULT_PREFETCH, min: 0, max: 64 }),
    'batch-size': Flags.integer({
      description: 'questions per LM call (answers do not depend on it)',
      default: DEFAULT_BATCH_SIZE,
      min: 1,
      max: 512,
    }),
    'num-beams': Flags.integer({
      description: "beam search with N beams, 1 for greedy (default: the bundle's; a converted BLIP-2 uses LAVIS's 5)",
      min: 1,
      max: 64,
    }),
    'max-new-tokens': Flags.integer({ description: "longest answer in tokens (default: the bundle's)", min: 1, max: 512 }),
    'window': Flags.integer({
      description: 'questions read and grouped by image at once: memory use vs. image reuse (answers do not depend on it)',
      default: DEFAULT_WINDOW,
      min: 1,
    }),
    'ablate': Flags.string({
      description: "take an encoder's features away: ENCODER=zero|mean|shuffle|noise (repeatable), e.g. mae=shuffle",
      multiple: true,
    }),
    'shard': Flags.string({ description: 'evaluate shard I of N (0 <= I < N), split by image; join the shards with xfbench merge' }),
    'quiet': Flags.boolean({ description: 'no progress bar (it is drawn only when stderr is a terminal anyway)', default: false }),
    'max-errors': Flags.integer({ description: 'stop cleanly once more than N samples failed (bad images)', min: 0 }),
    'baseline': Flags.string({ description: 'after the run, compare it with this baseline run directory', dependsOn: ['gate'] }),
    'gate': Flags.string({
      description: 'gate file applied to the comparison with --baseline (exit 3 when it fails)',
      dependsOn: ['baseline'],
    }),
    ...gateFlags,
    'protocol': protocolFlag,
  };

  async run(): Promise<RunSummary> {
    const { args, flags } = await this.parse(Run);
    // heavy modules (onnxruntime, sharp) load here, not at start-up, so --help stays fast
    const [{ executeRun }, { untilStopSignal, settleStop }, table, { displayPath }, { EXIT }] = await Promise.all([
      import('../pipeline/execute-run.js'),
      import('../workflows/stop-signals.js'),
      import('../report/table.js'),
      import('../lib/display-path.js'),
      import('../lib/errors.js'),
    ]);
    // a bad gate file or baseline is refused before any model work
    if (flags.gate) await (await import('../compare/gate.js')).loadGate(path.resolve(flags.gate));
    if (flags.baseline) await (await import('../runs/read-run.js')).readRunHeader(path.resolve(flags.baseline));

    const human = !this.jsonEnabled();
    const progress = (await import('./progress.js')).progressBar(human && !flags.quiet);
    const shard = flags.shard === undefined ? undefined : (await import('../pipeline/shards.js')).parseShard(flags.shard);
    const say = (line: string) => process.stderr.write(`xfbench: ${line}\n`);
    const model = await (await import('../workflows/model-source.js')).bundleDirOf(flags.model, human ? say : undefined);
    let outcome;
    try {
      outcome = await untilStopSignal((shouldStop) =>
        executeRun({
          dataset: args.dataset,
          ablate: flags.ablate,
          shard,
          model,
          data: flags.data,
          out: flags.out,
          limit: flags.limit,
          device: flags.device as DeviceRequest,
          threads: flags.threads,
          choices: flags.choices,
          allQuestions: flags['all-questions'],
          imageTemplate: flags['image-template'],
          cacheDir: flags['cache-dir'],
          maxErrors: flags['max-errors'],
          visionCache: flags['vision-cache'],
          prefetch: flags.prefetch,
          batchSize: flags['batch-size'],
          window: flags.window,
          generation: { numBeams: flags['num-beams'], maxNewTokens: flags['max-new-tokens'] },
          protocol: flags.protocol,
          ...endpointOptions(flags),
          onProviderNote: human ? (note) => process.stderr.write(`xfbench: ${note}\n`) : undefined,
          onProgress: (d, t) => progress.update(d, t),
          shouldStop,
        }),
      );
    } finally {
      progress.stop();
    }
    const r = outcome.record;
    const modelName = (await import('../runs/read-run.js')).runName({ dir: outcome.runDir, record: r });
    if (human) {
      if (outcome.resumedFrom > 0 || outcome.retried > 0) {
        const retried = outcome.retried > 0 ? ` (${outcome.retried} that had failed tried again)` : '';
        process.stderr.write(
          `xfbench: continued a run: ${outcome.resumedFrom} predictions kept, ${outcome.evaluatedNow} evaluated now${retried}\n`,
        );
      }
      if (outcome.errors > 0 && outcome.stoppedBy !== 'max-errors')
        process.stderr.write(
          `xfbench: ${outcome.errors} samples failed (${Object.entries(r.errors!.byCode)
            .map(([c, n]) => `${c} ×${n}`)
            .join(', ')}); scored as unanswered, listed in predictions.jsonl\n`,
        );
      this.log(
        table.renderMetricTables(
          outcome.metrics,
          `${r.dataset.id} · ${modelName} · ${r.dataset.evaluated} questions · ${outcome.provider.used}`,
          { details: flags.details, families: r.families },
        ),
      );
      this.log(`run written to ${displayPath(outcome.runDir)}`);
    }
    const summary: RunSummary = {
      runDir: outcome.runDir,
      dataset: r.dataset.id,
      bundle: modelName,
      provider: outcome.provider,
      status: outcome.status,
      questions: r.dataset.evaluated,
      resumedFrom: outcome.resumedFrom,
      errors: outcome.errors,
      metrics: outcome.metrics,
    };
    const kept = `${r.dataset.evaluated} predictions kept`;
    if (settleStop(outcome.stoppedBy, { dir: outcome.runDir, errors: outcome.errors, maxErrors: flags['max-errors'], kept }))
      this.exit(EXIT.interrupted);
    if (flags.baseline && flags.gate) {
      const { compareAndGate } = await import('../workflows/compare-and-gate.js');
      const { gates, passed } = await compareAndGate(path.resolve(flags.baseline), [outcome.runDir], {
        gate: path.resolve(flags.gate),
        minImages: flags['min-images'],
        allowFew: flags['allow-few'],
        allowMissing: flags['allow-missing'],
        print: human ? (t) => this.log(t) : undefined,
      });
      summary.gate = gates?.[0];
      if (!passed) {
        if (!human) this.logJson(summary);
        this.exit(EXIT.gateFailed);
      }
    }
    return summary;
  }
}
