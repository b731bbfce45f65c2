import * as ort from 'onnxruntime-node';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { XfError } from '../../lib/errors.js';
import { availableCores, defaultImageWorkers } from '../../lib/cores.js';
import { cudaFailure, DRIVER, installCommand } from './cuda-chain.js';
import { keepsOutputsOnDevice, type DeviceRequest, type Provider } from './devices.js';

export { DEVICE_REQUESTS, keepsOutputsOnDevice, type DeviceRequest, type Provider } from './devices.js';

export interface SessionOptions {
  device: DeviceRequest;
  /** Intra-op threads; default: defaultIntraOpThreads(bundle bytes). */
  threads?: number;
  /** The run reads encoder features on the host (ablations), so they may not stay in device memory. */
  hostReadsFeatures?: boolean;
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
  if (bundleBytes >= LARGE_BUNDLE_BYTES) return availableCores();
  return Math.max(1, availableCores() - defaultImageWorkers());
}

function sessionOptions(
  provider: Provider,
  threads = defaultIntraOpThreads(),
  outputsOnDevice: readonly string[] = [],
): ort.InferenceSession.SessionOptions {
  const onDevice = keepsOutputsOnDevice(provider) ? outputsOnDevice : [];
  return {
    executionProviders: [provider],
    ...(onDevice.length > 0 ? { preferredOutputLocation: Object.fromEntries(onDevice.map((name) => [name, 'gpu-buffer' as const])) } : {}),
    graphOptimizationLevel: 'all',
    // errors reach the user through XfError; the runtime's own log lines would only duplicate them
    logSeverityLevel: 4,
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  };
}

async function createOn(
  file: string,
  provider: Provider,
  threads?: number,
  outputsOnDevice?: readonly string[],
): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(file, sessionOptions(provider, threads, outputsOnDevice));
}

/**
 * Opens the first graph on the provider the user asked for and decides which provider every later
 * graph uses. `cuda` or `webgpu` that cannot load is an error (never a silent CPU run); `auto` tries
 * CUDA and says why it fell back. `auto` never picks WebGPU: where no GPU is present it finds a
 * software Vulkan device, slower than the CPU provider.
 */
export async function chooseProvider(
  firstGraph: string,
  opts: SessionOptions,
  outputsOnDevice?: readonly string[],
): Promise<{ session: ort.InferenceSession; choice: ProviderChoice }> {
  // The runtime logs a failed CUDA load itself; the user hears about it once, from us.
  ort.env.logLevel = 'fatal';
  if (opts.device === 'cpu') {
    return { session: await openGraph(firstGraph, 'cpu', opts.threads), choice: { requested: 'cpu', used: 'cpu' } };
  }
  if (opts.device === 'webgpu') {
    // Dawn's Vulkan loader complains on stderr about an unset XDG_RUNTIME_DIR (headless machines, CI);
    // set here, it holds for the probe's child and every graph opened after this one
    process.env.XDG_RUNTIME_DIR ??= tmpdir();
    const unusable = (reason: string) =>
      new XfError('E_WEBGPU_UNAVAILABLE', `the WebGPU execution provider found no usable device: ${reason}`, {
        suggestion: "WebGPU runs on Vulkan here: install the GPU's Vulkan driver and loader (libvulkan1), or use --device cpu.",
      });
    const probe = probeWebGpu(firstGraph);
    if (!probe.ok) throw unusable(probe.reason);
    try {
      return {
        session: await createOn(firstGraph, 'webgpu', opts.threads, outputsOnDevice),
        choice: { requested: 'webgpu', used: 'webgpu' },
      };
    } catch (err) {
      throw unusable(firstLine(err));
    }
  }
  keepFullFloat32OnCuda();
  try {
    const session = await createOn(firstGraph, 'cuda', opts.threads);
    return { session, choice: { requested: opts.device, used: 'cuda' } };
  } catch (err) {
    const reason = cudaFailure(firstGraph, firstLine(err));
    if (opts.device === 'cuda') {
      const onMachine = reason.includes(DRIVER) || reason.startsWith('no usable GPU');
      throw new XfError('E_CUDA_UNAVAILABLE', `the CUDA execution provider could not be loaded: ${reason}`, {
        suggestion: onMachine
          ? 'Run on a machine with an NVIDIA GPU and its driver, or use --device cpu.'
          : `Install it with ${installCommand()} (PyPI's onnxruntime-gpu and NVIDIA's CUDA 13 wheels; --offline DIR without PyPI), or use --device cpu.`,
      });
    }
    const session = await openGraph(firstGraph, 'cpu', opts.threads);
    return { session, choice: { requested: 'auto', used: 'cpu', note: `CUDA unavailable (${reason}); using CPU` } };
  }
}

/**
 * float32 products in full precision on the GPU. onnxruntime's CUDA provider lets cuBLAS and cuDNN use
 * TF32 (10-bit mantissas) on Ampere and later by default, and onnxruntime-node passes it no option
 * but the device id; NVIDIA's libraries read this variable when they start and then keep to float32.
 * An evaluation wants the model's answers, not the nearest fast ones (on an H200 with the provider's
 * defaults, 1 tiny-bundle answer in 500 differed from the CPU's: docs/cuda.md). A value the user set wins.
 */
function keepFullFloat32OnCuda(): void {
  process.env.NVIDIA_TF32_OVERRIDE ??= '0';
}

const WEBGPU_PROBE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'webgpu-probe.js');

/** Whether the graph opens on WebGPU, tried in a child process (webgpu-probe.ts says why). */
function probeWebGpu(graph: string): { ok: true } | { ok: false; reason: string } {
  const r = spawnSync(process.execPath, [WEBGPU_PROBE, graph], { encoding: 'utf8' });
  try {
    const answer = JSON.parse(r.stdout) as { ok: boolean; reason?: string };
    return answer.ok ? { ok: true } : { ok: false, reason: reasonOf(answer.reason ?? 'unknown error') };
  } catch {
    return { ok: false, reason: `the WebGPU probe ended with ${r.signal ?? `status ${r.status}`}` };
  }
}

function firstLine(err: unknown): string {
  return reasonOf((err as Error).message.split('\n')[0] ?? 'unknown error');
}

/** onnxruntime's messages can start with a source location and a failed check; the reason follows "was false." */
function reasonOf(line: string): string {
  return line.replace(/^.*\bwas false\.\s*/, '');
}

/** Opens a graph; on a provider that can, the outputs named in `outputsOnDevice` stay in device memory. */
export async function openGraph(
  file: string,
  provider: Provider,
  threads?: number,
  outputsOnDevice?: readonly string[],
): Promise<ort.InferenceSession> {
  try {
    return await createOn(file, provider, threads, outputsOnDevice);
  } catch (err) {
    throw new XfError('E_GRAPH', `cannot load ONNX graph (${firstLine(err)})`, { file });
  }
}

/** Refuses a graph whose declared inputs/outputs are not the ones the manifest names. */
export function checkGraphIo(session: ort.InferenceSession, file: string, inputs: string[], outputs: string[]): void {
  for (const name of inputs) {
    if (!session.inputNames.includes(name)) {
      throw new XfError('E_GRAPH_IO', `graph has no input "${name}" (it has: ${session.inputNames.join(', ')})`, {
        file,
        suggestion: 'The manifest and the graph disagree; re-export the bundle.',
      });
    }
  }
  for (const name of outputs) {
    if (!session.outputNames.includes(name)) {
      throw new XfError('E_GRAPH_IO', `graph has no output "${name}" (it has: ${session.outputNames.join(', ')})`, {
        file,
        suggestion: 'The manifest and the graph disagree; re-export the bundle.',
      });
    }
  }
}
