import { compareRuns, type Comparison } from '../compare/compare.js';
import { applyGate, loadGate, type GateResult } from '../compare/gate.js';
import { XfError } from '../lib/errors.js';
import { writeFileAtomic } from '../lib/files.js';
import { DEFAULT_BOOTSTRAP } from '../metrics/stats.js';
import { compareJunit, compareMarkdown, compareTable } from '../report/compare-formats.js';
import { readRun } from '../runs/read-run.js';

export interface CompareOptions {
  intersect?: boolean;
  gate?: string;
  format?: 'table' | 'md' | 'junit';
  output?: string;
  details?: boolean;
  seed?: number;
  iterations?: number;
  alpha?: number;
  margin?: number;
  print?: (text: string) => void;
}

/** What `xfbench compare` and `xfbench run --baseline` share: compare, gate, render, write. */
export async function compareAndGate(dirA: string, dirB: string, opts: CompareOptions): Promise<{ comparison: Comparison; gate?: GateResult }> {
  const gateFile = opts.gate;
  const gateSpec = gateFile ? await loadGate(gateFile) : undefined; // validate before the work
  if (opts.format === 'junit' && !gateSpec) {
    throw new XfError('E_FLAGS', '--format junit reports gate checks and needs --gate', { suggestion: 'Add --gate FILE, or use --format table or md.' });
  }
  const [a, b] = await Promise.all([readRun(dirA), readRun(dirB)]);
  const comparison = await compareRuns(a, b, {
    intersect: opts.intersect,
    alpha: opts.alpha,
    margin: opts.margin,
    bootstrap: { seed: opts.seed ?? DEFAULT_BOOTSTRAP.seed, iterations: opts.iterations ?? DEFAULT_BOOTSTRAP.iterations },
  });
  const gate = gateSpec && gateFile ? applyGate(gateSpec, comparison, gateFile) : undefined;
  const text = opts.format === 'md' ? compareMarkdown(comparison, gate, opts)
    : opts.format === 'junit' ? compareJunit(comparison, gate)
      : `${compareTable(comparison, gate, opts)}\n`;
  if (opts.output) await writeFileAtomic(opts.output, text);
  opts.print?.(text.replace(/\n$/, ''));
  return { comparison, gate };
}
