import * as ort from 'onnxruntime-node';
import { availableParallelism } from 'node:os';
import { XfError } from '../../lib/errors.js';
import { defaultImageWorkers } from '../vision/image-pool.js';

export type DeviceRequest = 'auto' | 'cpu' | 'cuda';
export type Provider = 'cpu' | 'cuda';

export interface SessionOptions {
  device: DeviceRequest;
  /** Intra-op threads; default: defaultIntraOpThreads(bundle bytes). */
  threads?: number;
}

export interface ProviderChoice {
  requested: DeviceRequest;
  used: Provider;
  /** Why `auto` fell back to CPU, when it did. */
  note?: string;
}

/** Bundles with more bytes of weights than this get every core for onnxruntime by default. */
export const LARGE_BUNDLE_BYTES = 100 * 2 ** 20;

/**
 * Intra-op threads when not told. For a small bundle, the cores the image workers leave:
 * onnxruntime's own default (one per core) makes its threads and the image worker fight over the
 * cores, and its ops are too small to gain from a second thread (on a 2-core machine a plain run of
 * gqa-mini went at 383 questions/s against 605 with one thread). For a large one (real shapes) the
 * ops dominate and images are few per question: every core (a BLIP-2-shaped bundle of 1.3 GB went
 * at 2.29 questions/s with 2 threads against 1.88 with 1, on the same machine).
 */
export function defaultIntraOpThreads(bundleBytes = 0): number {
  if (bundleBytes >= LARGE_BUNDLE_BYTES) return availableParallelism();
  return Math.max(1, availableParallelism() - defaultImageWorkers());
}

function sessionOptions(provider: Provider, threads = defaultIntraOpThreads()): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    // errors reach the user through XfError; the runtime's own log lines would only duplicate them
    logSeverityLevel: 4,
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  };
}

async function createOn(file: string, provider: Provider, threads?: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(file, sessionOptions(provider, threads));
}

/**
 * Opens the first graph on the provider the user asked for and decides which provider every later
 * graph uses. `cuda` that cannot load is an error (never a silent CPU run); `auto` tries CUDA and says
 * why it fell back.
 */
export async function chooseProvider(firstGraph: string, opts: SessionOptions): Promise<{ session: ort.InferenceSession; choice: ProviderChoice }> {
  // The runtime logs a failed CUDA load itself; the user hears about it once, from us.
  ort.env.logLevel = 'fatal';
  if (opts.device === 'cpu') {
    return { session: await openGraph(firstGraph, 'cpu', opts.threads), choice: { requested: 'cpu', used: 'cpu' } };
  }
  try {
    const session = await createOn(firstGraph, 'cuda', opts.threads);
    return { session, choice: { requested: opts.device, used: 'cuda' } };
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0] ?? 'unknown error';
    if (opts.device === 'cuda') {
      throw new XfError('E_CUDA_UNAVAILABLE', `the CUDA execution provider could not be loaded: ${reason}`, {
        suggestion: 'Install the CUDA binaries of onnxruntime-node (ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js) with CUDA 12 and cuDNN 9, or use --device cpu.',
      });
    }
    const session = await openGraph(firstGraph, 'cpu', opts.threads);
    return { session, choice: { requested: 'auto', used: 'cpu', note: `CUDA unavailable (${reason}); using CPU` } };
  }
}

export async function openGraph(file: string, provider: Provider, threads?: number): Promise<ort.InferenceSession> {
  try {
    return await createOn(file, provider, threads);
  } catch (err) {
    throw new XfError('E_GRAPH', `cannot load ONNX graph (${(err as Error).message.split('\n')[0]})`, { file });
  }
}

/** Refuses a graph whose declared inputs/outputs are not the ones the manifest names. */
export function checkGraphIo(session: ort.InferenceSession, file: string, inputs: string[], outputs: string[]): void {
  for (const name of inputs) {
    if (!session.inputNames.includes(name)) {
      throw new XfError('E_GRAPH_IO', `graph has no input "${name}" (it has: ${session.inputNames.join(', ')})`, { file, suggestion: 'The manifest and the graph disagree; re-export the bundle.' });
    }
  }
  for (const name of outputs) {
    if (!session.outputNames.includes(name)) {
      throw new XfError('E_GRAPH_IO', `graph has no output "${name}" (it has: ${session.outputNames.join(', ')})`, { file, suggestion: 'The manifest and the graph disagree; re-export the bundle.' });
    }
  }
}
