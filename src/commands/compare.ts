import { Args, Flags } from '@oclif/core';
import path from 'node:path';
import { XfCommand } from '../lib/base-command.js';
import { nonNegative, probability } from './flag-values.js';
import { detailsFlag, gateFlags } from './shared-flags.js';
import type { Comparison } from '../compare/compare.js';
import type { GateResult } from '../compare/gate.js';

/** Two runs: one comparison (and gate). More: the candidates each against the baseline. */
export type CompareOutput = { comparison: Comparison; gate?: GateResult } | { comparisons: Comparison[]; gates?: GateResult[] };

export default class Compare extends XfCommand {
  static override summary = 'Compare runs on the same items, category by category, with paired statistics; optionally gate.';
  static override description =
    'A is the baseline, B the candidate (or B, C, …: several candidates, each against A, with every family adjusted across all of them). For every metric and category: both values, Δ = B − A, ' +
    'a paired test that respects clustering by image (sign-flip over images; McNemar where each image has one question) with the interval that inverts it, the overall row as the primary test and ' +
    'Holm within each category family, the minimum detectable effect, and a verdict (better, worse, no change, inconclusive, too few images). ' +
    "With --gate, a rule fails when the data show a drop beyond its maxDrop at the gate's α (one α across all rules); exits 3 when a rule fails (0 passes, 2 is bad input).";
  static override examples = [
    '<%= config.bin %> compare runs/clip runs/xformer',
    '<%= config.bin %> compare baseline/ candidate/ --gate gate.json --format junit --output gate.xml',
    '<%= config.bin %> compare runs/a runs/b --format md >> "$GITHUB_STEP_SUMMARY"',
    '<%= config.bin %> compare runs/baseline runs/ablation-1 runs/ablation-2 --alpha 0.01',
  ];
  // candidates after B are further arguments
  static override strict = false;
  static override enableJsonFlag = true;
  static override args = {
    a: Args.string({ description: 'run A (baseline)', required: true }),
    b: Args.string({ description: 'run B (candidate); more candidates may follow', required: true }),
  };
  static override flags = {
    intersect: Flags.boolean({ description: 'compare only the items both runs evaluated, and say how many were dropped', default: false }),
    gate: Flags.string({ description: 'gate file: thresholds per metric and category (schemas/gate.schema.json)' }),
    format: Flags.string({ description: 'output format', options: ['table', 'md', 'junit'], default: 'table' }),
    output: Flags.string({ description: 'also write the chosen format to this file' }),
    details: detailsFlag,
    seed: Flags.integer({ description: 'seed of the random sign patterns (used where the paired test is not exact)' }),
    iterations: Flags.integer({ description: 'random sign patterns drawn where the paired test is not exact (default 1000)', min: 100 }),
    alpha: Flags.string({ description: 'significance level of every test (default 0.05)' }),
    margin: Flags.string({
      description: "largest |Δ| that counts as no change, in each metric's units (default: 1 point for percentages)",
    }),
    ...gateFlags,
  };

  async run(): Promise<CompareOutput> {
    const { args, argv, flags } = await this.parse(Compare);
    const { compareAndGate } = await import('../workflows/compare-and-gate.js');
    const candidates = [args.b, ...(argv as string[]).slice(2)].map((d) => path.resolve(d));
    const result = await compareAndGate(path.resolve(args.a), candidates, {
      intersect: flags.intersect,
      gate: flags.gate,
      format: flags.format as 'table' | 'md' | 'junit',
      output: flags.output,
      details: flags.details,
      seed: flags.seed,
      iterations: flags.iterations,
      alpha: probability(flags.alpha, '--alpha'),
      margin: nonNegative(flags.margin, '--margin'),
      minImages: flags['min-images'],
      allowFew: flags['allow-few'],
      allowMissing: flags['allow-missing'],
      print: this.jsonEnabled() ? undefined : (t) => this.log(t),
    });
    const output: CompareOutput =
      result.comparisons.length === 1
        ? { comparison: result.comparisons[0]!, gate: result.gates?.[0] }
        : { comparisons: result.comparisons, gates: result.gates };
    if (!result.passed) {
      if (this.jsonEnabled()) this.logJson(output);
      const { EXIT } = await import('../lib/errors.js');
      this.exit(EXIT.gateFailed);
    }
    return output;
  }
}
