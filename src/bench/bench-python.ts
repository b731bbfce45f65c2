import { spawnSync } from 'node:child_process';
import { converterEnv } from '../convert/python.js';

/** How the bench runs a command and what it measures of it. */
export type Measure = (args: string[]) => { seconds: number; maxRssMb: number; status: number | null; stdout: string; stderr: string };

/** A module of converter/ on the converter's Python: its stdout, or its last line of stderr. */
export function converterPython(python: string, args: string[]): { ok: true; stdout: string } | { ok: false; error: string } {
  const r = spawnSync(python, args, {
    encoding: 'utf8',
    env: converterEnv(),
    maxBuffer: 1 << 26,
  });
  return r.status === 0 ? { ok: true, stdout: r.stdout } : { ok: false, error: (r.stderr || 'python failed').trim().split('\n').pop()! };
}

/** `xfbench run gqa` of a bench point: a bundle on the bench's questions with `numBeams`, as JSON. */
export function gqaRunArgs(data: string, bundle: string, out: string, device: string, numBeams: number): string[] {
  return ['run', 'gqa', '--data', data, '--model', bundle, '--out', out, '--device', device, '--num-beams', String(numBeams), '--json'];
}

/** A random test checkpoint of `kind` (converter/xfconvert/testing/random_checkpoint.py), its tokenizer trained on `corpus`. */
export function buildRandomCheckpoint(
  python: string,
  checkpoint: string,
  kind: string,
  corpus: string,
): { ok: true } | { ok: false; error: string } {
  const built = converterPython(python, ['-m', 'xfconvert.testing.random_checkpoint', checkpoint, '--kind', kind, '--corpus', corpus]);
  return built.ok ? { ok: true } : built;
}
