import { Args, Flags } from '@oclif/core';
import path from 'node:path';
import { XfCommand } from '../lib/base-command.js';
import type { UpgradeOutcome } from '../runs/upgrade-results.js';

export default class Upgrade extends XfCommand {
  static override summary = 'Give finished runs from an older xfbench their columnar results file (results.parquet).';
  static override description =
    'A finished run writes results.parquet beside predictions.jsonl: one row per question with its scores, categories and answers, ' +
    'which compare, report and the gate read, and pandas, polars and DuckDB read directly. Runs from before it, or whose ' +
    'predictions.jsonl changed since, are read from the log as before; this command writes the file for them. A run whose file ' +
    'is current is left as it is unless --force.';
  static override examples = ['<%= config.bin %> upgrade runs/*', '<%= config.bin %> upgrade runs/old-run --force --json'];
  static override enableJsonFlag = true;
  // every argument is a run folder
  static override strict = false;
  static override args = { run: Args.string({ description: 'finished run folders', required: true }) };
  static override flags = {
    force: Flags.boolean({ description: 'write the file again even where it is current', default: false }),
  };

  async run(): Promise<{ runs: UpgradeOutcome[] }> {
    const { argv, flags } = await this.parse(Upgrade);
    const [{ upgradeResults }, { displayPath }] = await Promise.all([
      import('../runs/upgrade-results.js'),
      import('../lib/display-path.js'),
    ]);
    const runs: UpgradeOutcome[] = [];
    for (const dir of argv as string[]) {
      const outcome = await upgradeResults(path.resolve(dir), { force: flags.force });
      runs.push(outcome);
      if (!this.jsonEnabled())
        this.log(
          outcome.action === 'written'
            ? `${displayPath(outcome.runDir)}: results.parquet written (${outcome.reason})`
            : `${displayPath(outcome.runDir)}: results.parquet is current`,
        );
    }
    return { runs };
  }
}
