import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { loadBundle, type Bundle } from '../core/bundle/manifest.js';
import { XfError } from '../lib/errors.js';
import {
  checkVenvExists,
  converterEnv,
  converterEnvError,
  findPython,
  startFailure,
  environmentProblem,
  type ConverterEnvironment,
  type ConverterVersions,
} from './python.js';

export interface ConvertOptions {
  checkpoint: string;
  out: string;
  name?: string;
  python?: string;
  /** fp16: weights and compute in float16 (inputs and outputs stay float32). */
  dtype?: 'fp32' | 'fp16';
  /** Weights in a .data file beside each graph: when a graph is too large for one file (auto), always, or never. */
  externalData?: 'auto' | 'always' | 'never';
  onProgress?: (message: string) => void;
}

export interface ConvertOutcome {
  bundle: Bundle;
  seconds: number;
  bytes: number;
  versions: ConverterVersions;
}

interface ConverterMessage {
  progress?: string;
  /** First of all: the versions of what it needs, or the module it lacks (found without importing). */
  environment?: ConverterEnvironment;
  error?: { file: string; message: string };
  result?: { seconds: number; bytes: number };
}

function parseLine(line: string): ConverterMessage | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as ConverterMessage;
  } catch {
    return undefined;
  }
}

/**
 * `xfbench convert`: a Hugging Face checkpoint folder into a bundle. The work is Python's
 * (converter/xfconvert: transformers' modules exported with torch.onnx); this starts it, relays its
 * progress, and checks the bundle it wrote. The bundle is written beside --out and moved there
 * whole, so a failed conversion leaves nothing half-made.
 */
export async function convertCheckpoint(opts: ConvertOptions): Promise<ConvertOutcome> {
  const checkpoint = path.resolve(opts.checkpoint);
  const out = path.resolve(opts.out);
  if (existsSync(out) && readdirSync(out).length > 0) {
    throw new XfError('E_OUT_EXISTS', 'the output folder exists and is not empty', {
      file: out,
      suggestion: 'Name a new folder with --out; nothing there is overwritten.',
    });
  }
  const choice = findPython(opts.python);
  checkVenvExists(choice);
  const partial = `${out}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  const args = [
    '-m',
    'xfconvert',
    checkpoint,
    '--out',
    partial,
    '--dtype',
    opts.dtype ?? 'fp32',
    '--external-data',
    opts.externalData ?? 'auto',
    ...(opts.name ? ['--name', opts.name] : []),
  ];
  const child = spawn(choice.python, args, {
    env: { ...converterEnv(), PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const messages: ConverterMessage[] = [];
  const otherOutput: string[] = [];
  const read = (stream: NodeJS.ReadableStream) =>
    new Promise<void>((resolve) => {
      const lines = createInterface({ input: stream });
      lines.on('line', (line) => {
        const m = parseLine(line);
        if (m?.progress) opts.onProgress?.(m.progress);
        else if (m) messages.push(m);
        else if (line.trim()) otherOutput.push(line);
      });
      lines.on('close', resolve);
    });
  let startError: Error | undefined;
  const [status] = await Promise.all([
    new Promise<number | null>((resolve) => {
      child.on('error', (err) => {
        startError = err;
        resolve(null);
      });
      child.on('close', resolve);
    }),
    read(child.stdout),
    read(child.stderr),
  ]);
  // the converter's own output (transformers' warnings, a traceback), when asked for: most needed when it failed
  if (process.env.XFBENCH_CONVERT_DEBUG) for (const l of otherOutput) process.stderr.write(`${l}\n`);
  if (startError) throw converterEnvError(choice, startFailure(startError));
  const environment = messages.find((m) => m.environment)?.environment;
  const problem = environment && environmentProblem(environment);
  if (problem) throw converterEnvError(choice, problem);
  const versions = environment as ConverterVersions | undefined;
  const failed = messages.find((m) => m.error)?.error;
  const result = messages.find((m) => m.result)?.result;
  if (status !== 0 || !result || !versions) {
    await rm(partial, { recursive: true, force: true });
    if (failed) throw new XfError('E_CHECKPOINT', failed.message, { file: failed.file });
    throw new XfError('E_CONVERT_FAILED', `the converter stopped with status ${status}: ${otherOutput.at(-1) ?? 'no message'}`, {
      file: checkpoint,
      suggestion: "Run it with XFBENCH_CONVERT_DEBUG=1 for the converter's full output.",
    });
  }
  // the manifest and every file it names, before the move; the sha256s after it, so the checks are
  // remembered under the bundle's own path (a 6 GB bundle is not hashed again at its first run)
  await loadBundle(partial, { verifyHashes: false }).catch(async (err: unknown) => {
    await rm(partial, { recursive: true, force: true });
    throw err;
  });
  await rm(out, { recursive: true, force: true });
  await rename(partial, out);
  const bundle = await loadBundle(out).catch(async (err: unknown) => {
    await rm(out, { recursive: true, force: true });
    throw err;
  });
  return { bundle, seconds: result.seconds, bytes: result.bytes, versions };
}
