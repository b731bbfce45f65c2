import { compareWithBaseline, type Comparison } from '../compare/compare.js';
import { applyGate, applyGateAcross, loadGate, type GateResult } from '../compare/gate.js';
import { XfError } from '../lib/errors.js';
import { writeFileAtomic } from '../lib/files.js';
import { DEFAULT_SIGN_PATTERNS } from '../metrics/stats.js';
import { compareJunitMany, compareMarkdown, compareTable } from '../report/compare-formats.js';
import { readRunHeader } from '../runs/read-run.js';
import { compareSuites, isSuiteDir } from '../suites/compare-suites.js';

/** `compare`'s and `run --baseline`'s options: the statistics' (compare/compare.ts) and what to gate, render and write. */
export interface CompareAndGateOptions {
  intersect?: boolean;
  gate?: string;
  format?: 'table' | 'md' | 'junit';
  output?: string;
  details?: boolean;
  seed?: number;
  iterations?: number;
  alpha?: number;
  margin?: number;
  minImages?: number;
  allowFew?: boolean;
  allowMissing?: boolean;
  print?: (text: string) => void;
}

export interface CompareResult {
  comparisons: Comparison[];
  /** One per comparison, with --gate. */
  gates?: GateResult[];
  passed: boolean;
}

/**
 * What `xfbench compare` and `xfbench run --baseline` share: compare each candidate with the baseline,
 * gate each, render, write.
 */
export async function compareAndGate(dirA: string, candidateDirs: readonly string[], opts: CompareAndGateOptions): Promise<CompareResult> {
  const gateFile = opts.gate;
  const gateSpec = gateFile ? await loadGate(gateFile) : undefined; // validate before the work
  if (opts.format === 'junit' && !gateSpec) {
    throw new XfError('E_FLAGS', '--format junit reports gate checks and needs --gate', {
      suggestion: 'Add --gate FILE, or use --format table or md.',
    });
  }
  const compareOpts = {
    intersect: opts.intersect,
    alpha: opts.alpha,
    margin: opts.margin,
    minImages: opts.minImages,
    signPatterns: { seed: opts.seed ?? DEFAULT_SIGN_PATTERNS.seed, iterations: opts.iterations ?? DEFAULT_SIGN_PATTERNS.iterations },
  };
  const suites = isSuiteDir(dirA);
  let comparisons: Comparison[];
  if (suites) {
    if (candidateDirs.length !== 1 || !isSuiteDir(candidateDirs[0]!)) {
      throw new XfError('E_FLAGS', 'a suite folder compares with one other suite folder', {
        file: dirA,
        suggestion: 'Pass two suite folders, or two runs.',
      });
    }
    const result = await compareSuites(dirA, candidateDirs[0]!, compareOpts);
    comparisons = result.comparisons;
    for (const name of result.missing) opts.print?.(`xfbench: benchmark "${name}" is in only one of the suites; not compared`);
  } else {
    const [a, ...candidates] = await Promise.all([dirA, ...candidateDirs].map((d) => readRunHeader(d)));
    comparisons = await compareWithBaseline(a!, candidates, compareOpts);
  }
  const gateOpts = { allowFew: opts.allowFew, allowMissing: opts.allowMissing };
  // a suite's benchmarks are one decision (one α across them); several candidates are one decision each
  const gates =
    !gateSpec || !gateFile
      ? undefined
      : suites
        ? applyGateAcross(gateSpec, comparisons, gateFile, gateOpts)
        : comparisons.map((c) => applyGate(gateSpec, c, gateFile, gateOpts));
  // JUnit is one XML document (a test suite per candidate); the other formats a section per candidate
  const text =
    opts.format === 'junit'
      ? compareJunitMany(comparisons.map((comparison, k) => ({ comparison, gate: gates?.[k] })))
      : comparisons
          .map((c, k) => (opts.format === 'md' ? compareMarkdown(c, gates?.[k], opts) : `${compareTable(c, gates?.[k], opts)}\n`))
          .join('\n');
  if (opts.output) await writeFileAtomic(opts.output, text);
  opts.print?.(text.replace(/\n$/, ''));
  return { comparisons, gates, passed: !gates || gates.every((g) => g.passed) };
}
