import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { availableCores, defaultImageWorkers } from '../lib/cores.js';
import { packageRoot } from '../lib/package-root.js';
import { cudaChain, type ChainLink } from './bundle/cuda-chain.js';
import { chooseProvider, defaultIntraOpThreads } from './bundle/sessions.js';

export interface ProviderStatus {
  name: string;
  /** Shipped with onnxruntime-node's default install. */
  bundled: boolean;
  usable: boolean;
  /** Why not, when it is not. */
  reason?: string;
}

export interface Diagnosis {
  node: string;
  platform: string;
  cpus: { count: number; model?: string };
  memoryGb: number;
  onnxruntime: string;
  providers: ProviderStatus[];
  /** What `run` does with no --threads: intra-op threads, and the image workers beside them. */
  threads: { intraOp: number; imageWorkers: number; logicalCpus: number };
  /** What `--device auto` picks here. */
  deviceAuto: string;
  /** Each link `--device cuda` needs (bundle/cuda-chain.ts), present or not. */
  cudaChain: ChainLink[];
}

function version(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(packageRoot(), 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** A real attempt to open the probe graph on WebGPU: usable, or why not. */
async function probeWebGpu(probeGraph: string): Promise<{ usable: boolean; reason?: string }> {
  try {
    const { session } = await chooseProvider(probeGraph, { device: 'webgpu' });
    await session.release();
    return { usable: true };
  } catch (err) {
    return { usable: false, reason: (err as Error).message.replace(/^the WebGPU execution provider found no usable device: /, '') };
  }
}

/**
 * The machine as xfbench sees it: versions, and every execution provider onnxruntime-node lists, with a
 * real attempt to open a graph on CUDA and on WebGPU (the ones `run` uses besides the CPU).
 */
export async function diagnose(probeGraph: string): Promise<Diagnosis> {
  const listed = ort.listSupportedBackends();
  const cuda = await chooseProvider(probeGraph, { device: 'auto' }).then(async ({ session, choice }) => {
    await session.release();
    return choice;
  });
  const webgpu = listed.some((b) => b.name === 'webgpu') ? await probeWebGpu(probeGraph) : { usable: false };
  const providers: ProviderStatus[] = listed.map((b) => {
    if (b.name === 'webgpu') return { name: b.name, bundled: b.bundled, ...webgpu };
    if (b.name === 'cpu') return { name: b.name, bundled: b.bundled, usable: true };
    if (b.name === 'cuda')
      return {
        name: b.name,
        bundled: b.bundled,
        usable: cuda.used === 'cuda',
        ...(cuda.used === 'cuda' ? {} : { reason: cuda.note?.replace(/; using CPU$/, '') ?? 'not available' }),
      };
    return {
      name: b.name,
      bundled: b.bundled,
      usable: false,
      reason: `listed by onnxruntime-node, not used by xfbench (run takes --device cpu, cuda or webgpu)`,
    };
  });
  const cores = cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: { count: availableCores(), model: cores[0]?.model },
    memoryGb: Math.round(totalmem() / 2 ** 30),
    onnxruntime: version('onnxruntime-node'),
    providers,
    threads: { intraOp: defaultIntraOpThreads(), imageWorkers: defaultImageWorkers(), logicalCpus: availableCores() },
    deviceAuto: cuda.used,
    cudaChain: process.platform === 'linux' ? cudaChain() : [],
  };
}
