import { Args, Flags } from '@oclif/core';
import path from 'node:path';
import { XfCommand } from '../lib/base-command.js';
import { XfError } from '../lib/errors.js';
import { nonNegative, probability } from './flag-values.js';
import { detailsFlag } from './shared-flags.js';
import type { PlanRow } from '../compare/plan.js';

export default class Plan extends XfCommand {
  static override summary = 'How many images a comparison needs: from a pilot pair of runs, the images to find a given Δ at a given power.';
  static override description =
    "Compares the pilot runs as `compare` does and, per category, takes the paired test's cluster-robust standard error (which carries the clustering of questions by image), " +
    "the share of questions the runs disagree on and the design effect, and says how many images (and questions, at the pilot's questions per image) a study needs " +
    'for its test to find a true Δ of --delta with probability --power.';
  static override examples = [
    '<%= config.bin %> plan runs/pilot-clip runs/pilot-xformer --delta 2',
    '<%= config.bin %> plan runs/a runs/b --delta 1 --power 0.9 --metric gqa.accuracy --json',
  ];
  static override enableJsonFlag = true;
  static override args = {
    a: Args.string({ description: 'pilot run A (baseline)', required: true }),
    b: Args.string({ description: 'pilot run B (candidate)', required: true }),
  };
  static override flags = {
    delta: Flags.string({ description: "the true difference to find, in the metric's units (points for percentages)", required: true }),
    power: Flags.string({ description: 'probability of finding it (default 0.8)' }),
    alpha: Flags.string({ description: 'significance level (default 0.05; a category row is planned at α over the tests of its family)' }),
    metric: Flags.string({ description: 'only this metric' }),
    intersect: Flags.boolean({ description: 'use only the items both pilot runs evaluated', default: false }),
    details: detailsFlag,
  };

  async run(): Promise<{ delta: number; power: number; alpha: number; rows: PlanRow[] }> {
    const { args, flags } = await this.parse(Plan);
    const delta = nonNegative(flags.delta, '--delta')!;
    if (delta === 0) throw new XfError('E_USAGE', '--delta must be above 0: no study finds a difference of 0');
    const power = probability(flags.power, '--power') ?? 0.8;
    const alpha = probability(flags.alpha, '--alpha') ?? 0.05;
    const [{ readRunHeader }, { compareRuns }, { planFromPilot }, { RowVisibility }, { planTable }] = await Promise.all([
      import('../runs/read-run.js'),
      import('../compare/compare.js'),
      import('../compare/plan.js'),
      import('../metrics/categories.js'),
      import('../report/plan-table.js'),
    ]);
    const [a, b] = await Promise.all([readRunHeader(path.resolve(args.a)), readRunHeader(path.resolve(args.b))]);
    // every row is planned, whatever its size: the floor on images is for verdicts, not for planning
    const comparison = await compareRuns(a, b, { intersect: flags.intersect, alpha, minImages: 1 });
    const rows = planFromPilot(comparison, { delta, power, alpha }).filter((r) => !flags.metric || r.metric === flags.metric);
    if (flags.metric && rows.length === 0)
      throw new XfError('E_USAGE', `--metric ${flags.metric}: no paired metric of that id in these runs`, {
        suggestion: `Metrics: ${[...new Set(comparison.rows.map((r) => r.metric))].join(', ')}.`,
      });
    if (!this.jsonEnabled()) {
      const shown = new RowVisibility(comparison.families, flags.details).shown(rows);
      this.log(`plan from ${comparison.a.name} vs ${comparison.b.name} (${comparison.items.compared} paired items):`);
      this.log(planTable(shown, { delta, power }));
    }
    return { delta, power, alpha, rows };
  }
}
