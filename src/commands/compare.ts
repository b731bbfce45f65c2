import { Args, Flags } from '@oclif/core';
import path from 'node:path';
import { XfCommand } from '../lib/base-command.js';
import { detailsFlag } from './shared-flags.js';
import type { Comparison } from '../compare/compare.js';
import type { GateResult } from '../compare/gate.js';

export interface CompareOutput {
  comparison: Comparison;
  gate?: GateResult;
}

export default class Compare extends XfCommand {
  static override summary = 'Compare two runs on the same items, category by category, with paired statistics; optionally gate.';
  static override description =
    'A is the baseline, B the candidate. For every metric and category: both values, Δ = B − A with a paired cluster-bootstrap interval, ' +
    "McNemar's test and Holm-adjusted p-values. With --gate, exits 3 when a rule fails (0 passes, 2 is bad input).";
  static override examples = [
    '<%= config.bin %> compare runs/clip runs/xformer',
    '<%= config.bin %> compare baseline/ candidate/ --gate gate.json --format junit --output gate.xml',
    '<%= config.bin %> compare runs/a runs/b --format md >> "$GITHUB_STEP_SUMMARY"',
  ];
  static override enableJsonFlag = true;
  static override args = {
    a: Args.string({ description: 'run A (baseline)', required: true }),
    b: Args.string({ description: 'run B (candidate)', required: true }),
  };
  static override flags = {
    intersect: Flags.boolean({ description: 'compare only the items both runs evaluated, and say how many were dropped', default: false }),
    gate: Flags.string({ description: 'gate file: thresholds per metric and category (schemas/gate.schema.json)' }),
    format: Flags.string({ description: 'output format', options: ['table', 'md', 'junit'], default: 'table' }),
    output: Flags.string({ description: 'also write the chosen format to this file' }),
    details: detailsFlag,
    seed: Flags.integer({ description: 'bootstrap seed' }),
    iterations: Flags.integer({ description: 'bootstrap iterations', min: 100 }),
  };

  async run(): Promise<CompareOutput> {
    const { args, flags } = await this.parse(Compare);
    const { compareAndGate } = await import('./compare-and-gate.js');
    const result = await compareAndGate(path.resolve(args.a), path.resolve(args.b), {
      intersect: flags.intersect, gate: flags.gate, format: flags.format as 'table' | 'md' | 'junit', output: flags.output, details: flags.details,
      seed: flags.seed, iterations: flags.iterations, print: this.jsonEnabled() ? undefined : (t) => this.log(t),
    });
    if (result.gate && !result.gate.passed) {
      if (this.jsonEnabled()) this.logJson({ comparison: result.comparison, gate: result.gate });
      const { EXIT } = await import('../lib/errors.js');
      this.exit(EXIT.gateFailed);
    }
    return result;
  }
}
