import { Args, Flags } from '@oclif/core';
import path from 'node:path';
import { XfCommand } from '../lib/base-command.js';
import type { MetricValue } from '../metrics/types.js';

export interface MergeSummary {
  runDir: string;
  shards: number;
  questions: number;
  metrics: MetricValue[];
}

export default class Merge extends XfCommand {
  static override summary = 'Join the shard folders of one run (run --shard I/N) into one run folder.';
  static override description =
    'Checks that the shards share bundle, dataset and settings, are all finished, and cover the dataset exactly once; then writes one run folder ' +
    'whose predictions and figures equal those of the run made in one piece.';
  static override examples = [
    '<%= config.bin %> merge runs/gqa/shard-* --out runs/gqa/merged',
    '<%= config.bin %> merge runs/shard-0 runs/shard-1 runs/shard-2 runs/shard-3 --out runs/full --json',
  ];
  static override enableJsonFlag = true;
  // every argument is a shard folder
  static override strict = false;
  static override args = { shard: Args.string({ description: 'shard run folders (all of them)', required: true }) };
  static override flags = {
    out: Flags.string({ description: 'the merged run folder to create', required: true }),
  };

  async run(): Promise<MergeSummary> {
    const { argv, flags } = await this.parse(Merge);
    const [{ executeMerge }, table, { displayPath }] = await Promise.all([
      import('../pipeline/merge-shards.js'),
      import('../report/table.js'),
      import('../lib/display-path.js'),
    ]);
    const outcome = await executeMerge(argv as string[], path.resolve(flags.out));
    const r = outcome.record;
    if (!this.jsonEnabled()) {
      this.log(
        table.renderMetricTables(
          r.metrics,
          `${r.dataset.id} · ${r.bundle?.name ?? ''} · ${r.dataset.evaluated} questions · merged from ${outcome.shards} shards`,
          { families: r.families },
        ),
      );
      this.log(`run written to ${displayPath(outcome.runDir)}`);
    }
    return { runDir: outcome.runDir, shards: outcome.shards, questions: r.dataset.evaluated, metrics: r.metrics };
  }
}
