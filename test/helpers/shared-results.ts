import path from 'node:path';
import { runCli, type CliResult } from './cli.js';
import { writeRandomCheckpoint } from './converter.js';
import { BUNDLES } from './paths.js';
import { shared } from './shared.js';

/**
 * The expensive results several test files read, each made once per `vitest run` (shared.ts).
 */

export interface BundledRun extends CliResult {
  /** The run folder. */
  out: string;
}

/**
 * A bundled model on a whole bundled mini set, as `xfbench run DATASET --model BUNDLE --json` gives
 * it (one thread: the answers do not depend on it, and the tests that read these runs compare answers).
 */
export function bundledRun(kind: keyof typeof BUNDLES, dataset: string): Promise<BundledRun> {
  return shared(`run-${kind}-${dataset}`, (dir) => {
    const out = path.join(dir, 'run');
    return { out, ...runCli(['run', dataset, '--model', BUNDLES[kind], '--out', out, '--device', 'cpu', '--threads', '1', '--json']) };
  });
}

export interface ConvertedCheckpoint {
  checkpoint: string;
  bundle: string;
  /** `xfbench convert --json`'s report of the conversion. */
  convert: CliResult;
}

/**
 * A random test checkpoint (converter/xfconvert/testing/random_checkpoint.py, tokenizer trained on
 * gqa-mini's questions), saved as transformers saves it and converted by `xfbench convert`.
 */
export function convertedCheckpoint(kind: string): Promise<ConvertedCheckpoint> {
  return shared(`converted-${kind}`, (dir) => {
    const checkpoint = writeRandomCheckpoint(dir, kind);
    const bundle = path.join(dir, 'bundle');
    return { checkpoint, bundle, convert: runCli(['convert', checkpoint, '--out', bundle, '--json']) };
  });
}
