import { Args, Flags } from '@oclif/core';
import { XfCommand } from '../lib/base-command.js';
import type { DeviceRequest } from '../core/bundle/devices.js';
import { deviceFlag, endpointFlags, endpointOptions, protocolFlag, threadsFlag } from './shared-flags.js';
import type { SuiteRecord } from '../suites/suite-file.js';

export interface SuiteSummary {
  dir: string;
  suite: SuiteRecord;
}

export default class SuiteRun extends XfCommand {
  static override summary = 'Run every benchmark of a suite file with one bundle and write one summary (table, Markdown, HTML).';
  static override description =
    'Each benchmark runs into its own run folder inside the suite folder (so report and compare work on it as on any run); suite.json, summary.md and ' +
    'summary.html sum them up. Run again, it continues where it stopped. `compare SUITE_A SUITE_B` compares two suite folders benchmark by benchmark.';
  static override examples = [
    '<%= config.bin %> suite run examples/suites/paper.json --out runs/suite-xformer',
    '<%= config.bin %> suite run examples/suites/paper.json --model fixtures/models/xf-tiny-clip --out runs/suite-clip',
    '<%= config.bin %> compare runs/suite-clip runs/suite-xformer --gate examples/ci/gate.json',
  ];
  static override enableJsonFlag = true;
  static override args = { suite: Args.string({ description: 'suite file (schemas/suite.schema.json)', required: true }) };
  static override flags = {
    'model': Flags.string({
      description:
        'model bundle folder holding xfbench.json, a Hugging Face checkpoint folder (converted once into ~/.cache/xfbench, then reused), or openai:URL for a served model (docs/endpoints.md) (default: the bundled xf-tiny-xformer)',
    }),
    ...endpointFlags,
    'out': Flags.string({ description: 'suite folder to create or continue (default: runs/<time>-suite-<name>)' }),
    'device': deviceFlag,
    'threads': threadsFlag,
    'quiet': Flags.boolean({ description: 'no progress bar', default: false }),
    'max-errors': Flags.integer({ description: 'stop cleanly once more than N samples of a benchmark failed (bad images)', min: 0 }),
    'protocol': protocolFlag,
  };

  async run(): Promise<SuiteSummary> {
    const { args, flags } = await this.parse(SuiteRun);
    const [
      { runSuiteWithSummaries },
      { untilStopSignal, settleStop },
      summary,
      { displayPath },
      { progressBar },
      { EXIT },
      { bundleDirOf },
    ] = await Promise.all([
      import('../workflows/suite-run.js'),
      import('../workflows/stop-signals.js'),
      import('../report/suite-summary.js'),
      import('../lib/display-path.js'),
      import('./progress.js'),
      import('../lib/errors.js'),
      import('../workflows/model-source.js'),
    ]);
    const human = !this.jsonEnabled();
    const model = await bundleDirOf(flags.model, human ? (line) => process.stderr.write(`xfbench: ${line}\n`) : undefined);
    let progress = progressBar(false);
    let outcome;
    try {
      outcome = await untilStopSignal((shouldStop) =>
        runSuiteWithSummaries({
          suiteFile: args.suite,
          model,
          out: flags.out,
          device: flags.device as DeviceRequest,
          threads: flags.threads,
          maxErrors: flags['max-errors'],
          protocol: flags.protocol,
          ...endpointOptions(flags),
          onMember: (name, i, n) => {
            progress.stop();
            if (human) process.stderr.write(`xfbench: suite ${i + 1}/${n}: ${name}\n`);
            progress = progressBar(human && !flags.quiet);
          },
          onProgress: (d, t) => progress.update(d, t),
          shouldStop,
        }),
      );
    } finally {
      progress.stop();
    }
    if (human) {
      this.log(summary.suiteTable(outcome.record));
      this.log(`suite written to ${displayPath(outcome.dir)}`);
    }
    const kept = `the suite's finished benchmarks and ${outcome.record.members.at(-1)?.questions ?? 0} predictions of the last one kept`;
    if (settleStop(outcome.stoppedBy, { dir: outcome.dir, errors: outcome.errors, maxErrors: flags['max-errors'], kept }))
      this.exit(EXIT.interrupted);
    return { dir: outcome.dir, suite: outcome.record };
  }
}
