import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { XfError } from '../lib/errors.js';
import { packageRoot } from '../lib/package-root.js';

/** The converter's virtual environment, made by scripts/install-converter-deps.sh (transformers over Debian's torch). */
export const CONVERTER_VENV = '.venv-convert';
export const INSTALL_COMMAND = 'bash scripts/install-converter-deps.sh';
export const PYTHON_ENV_VAR = 'XFBENCH_PYTHON';

export interface PythonChoice {
  python: string;
  /** Where the choice came from, for messages. */
  from: 'flag' | 'environment' | 'venv';
}

/** The interpreter: --python, else $XFBENCH_PYTHON, else the venv the install script makes. */
export function findPython(flag?: string): PythonChoice {
  if (flag) return { python: flag, from: 'flag' };
  const env = process.env[PYTHON_ENV_VAR];
  if (env) return { python: env, from: 'environment' };
  return { python: path.join(packageRoot(), CONVERTER_VENV, 'bin', 'python'), from: 'venv' };
}

export interface ConverterVersions {
  python: string;
  torch: string;
  transformers: string;
  onnx: string;
}

/** What the converter says of its environment (converter/xfconvert/__main__.py: environment). */
export type ConverterEnvironment = { missing: string } | (ConverterVersions & { unsupported?: 'transformers' });

/** The converter's own check, for a caller that does not run a conversion (the bench). */
const PROBE = 'import json; from xfconvert.__main__ import environment; print(json.dumps(environment()))';

/**
 * The converter's environment: converter/ first on PYTHONPATH, the user's own entries kept after it
 * (an interpreter named with --python may find its packages there; dropping them ran another
 * transformers than the one the user put there).
 */
export function converterEnv(): NodeJS.ProcessEnv {
  const own = process.env.PYTHONPATH;
  return { ...process.env, PYTHONPATH: [path.join(packageRoot(), 'converter'), ...(own ? [own] : [])].join(path.delimiter) };
}

/** Why the converter cannot work in this environment, in converterEnvError's words, or undefined. */
export function environmentProblem(env: ConverterEnvironment): string | undefined {
  if ('missing' in env) return `has no module "${env.missing}"`;
  if (env.unsupported)
    return `has transformers ${env.transformers}; the converter runs on transformers 4 (4.44, what \`${INSTALL_COMMAND}\` installs; checkpoints saved by transformers 5 are read all the same)`;
  return undefined;
}

/** The one error for a converter Python that cannot do the work: which interpreter, where it came from, and why. */
export function converterEnvError(choice: PythonChoice, why: string): XfError {
  const where = choice.from === 'flag' ? '--python' : choice.from === 'environment' ? `$${PYTHON_ENV_VAR}` : undefined;
  return new XfError('E_CONVERTER_ENV', `the converter's Python ${choice.python}${where ? ` (from ${where})` : ''} ${why}`, {
    suggestion: `Run \`${INSTALL_COMMAND}\` and use its venv (the default), or point --python at an interpreter with torch, transformers and onnx.`,
  });
}

/** The default venv exists; a clear error naming the install command if not (an interpreter named by the user is tried as it is). */
export function checkVenvExists(choice: PythonChoice): void {
  if (choice.from === 'venv' && !existsSync(choice.python)) {
    throw new XfError(
      'E_CONVERTER_ENV',
      `no Python for the converter: ${path.relative(process.cwd(), choice.python) || choice.python} does not exist`,
      {
        suggestion: `Run \`${INSTALL_COMMAND}\` (transformers in a venv over Debian's torch), or name an interpreter with --python or $${PYTHON_ENV_VAR}.`,
      },
    );
  }
}

/** Why a Python process could not be started, in the words of converterEnvError. */
export function startFailure(err: Error): string {
  return `cannot be started (${(err as NodeJS.ErrnoException).code ?? err.message})`;
}

/**
 * Checks that the interpreter runs and has what the converter needs, by the converter's own check
 * (the bench's, before it builds checkpoints; `convert` has the converter say so, in the same words).
 */
export function checkConverterPython(choice: PythonChoice): ConverterVersions {
  checkVenvExists(choice);
  const r = spawnSync(choice.python, ['-c', PROBE], { encoding: 'utf8', env: converterEnv() });
  if (r.error || r.status !== 0) {
    throw converterEnvError(choice, r.error ? startFailure(r.error) : `failed (${(r.stderr ?? '').trim().split('\n').at(-1)})`);
  }
  const env = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ConverterEnvironment;
  const problem = environmentProblem(env);
  if (problem) throw converterEnvError(choice, problem);
  return env as ConverterVersions;
}
