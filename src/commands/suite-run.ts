import { Args, Flags } from '@oclif/core';
import path from 'node:path';
import { XfCommand } from '../lib/base-command.js';
import type { DeviceRequest } from '../core/bundle/devices.js';
import { deviceFlag, threadsFlag } from './shared-flags.js';
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
    model: Flags.string({ description: 'model bundle folder holding xfbench.json (default: the bundled xf-tiny-xformer)' }),
    out: Flags.string({ description: 'suite folder to create or continue (default: runs/<time>-suite-<name>)' }),
    device: deviceFlag,
    threads: threadsFlag,
    quiet: Flags.boolean({ description: 'no progress bar', default: false }),
  };

  async run(): Promise<SuiteSummary> {
    const { args, flags } = await this.parse(SuiteRun);
    const [{ executeSuite }, summary, { writeFileAtomic }, { displayPath }, { progressBar }] = await Promise.all([
      import('../suites/run-suite.js'), import('../report/suite-summary.js'), import('../lib/files.js'), import('../lib/display-path.js'), import('./progress.js'),
    ]);
    const human = !this.jsonEnabled();
    let interrupted = false;
    const onSignal = () => { interrupted = true; };
    process.once('SIGINT', onSignal);
    let progress = progressBar(false);
    let outcome;
    try {
      outcome = await executeSuite({
        suiteFile: args.suite, model: flags.model, out: flags.out, device: flags.device as DeviceRequest, threads: flags.threads,
        onMember: (name, i, n) => {
          progress.stop();
          if (human) process.stderr.write(`xfbench: suite ${i + 1}/${n}: ${name}\n`);
          progress = progressBar(human && !flags.quiet);
        },
        onProgress: (d, t) => progress.update(d, t),
        shouldStop: () => interrupted,
      });
    } finally {
      progress.stop();
      process.off('SIGINT', onSignal);
    }
    await writeFileAtomic(path.join(outcome.dir, 'summary.md'), summary.suiteMarkdown(outcome.record));
    await writeFileAtomic(path.join(outcome.dir, 'summary.html'), summary.suiteHtml(outcome.record));
    if (human) {
      this.log(summary.suiteTable(outcome.record));
      this.log(`suite written to ${displayPath(outcome.dir)}`);
    }
    if (outcome.stopped) {
      process.stderr.write('xfbench: the suite stopped early; run the same command again to continue.\n');
      this.exit(130);
    }
    return { dir: outcome.dir, suite: outcome.record };
  }
}
