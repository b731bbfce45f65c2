import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { packageRoot } from '../../lib/package-root.js';
import { defaultImageWorkers } from '../vision/image-pool.js';
import { chooseProvider, defaultIntraOpThreads } from './sessions.js';

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
}

function version(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(packageRoot(), 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * The machine as xfbench sees it: versions, and every execution provider onnxruntime-node lists, with a
 * real attempt to open a graph on CUDA (the only one `run` uses besides the CPU).
 */
export async function diagnose(probeGraph: string): Promise<Diagnosis> {
  const listed = ort.listSupportedBackends();
  const cuda = await chooseProvider(probeGraph, { device: 'auto' }).then(
    async ({ session, choice }) => {
      await session.release();
      return choice;
    },
  );
  const providers: ProviderStatus[] = listed.map((b) => {
    if (b.name === 'cpu') return { name: b.name, bundled: b.bundled, usable: true };
    if (b.name === 'cuda') return { name: b.name, bundled: b.bundled, usable: cuda.used === 'cuda', ...(cuda.used === 'cuda' ? {} : { reason: cuda.note?.replace(/; using CPU$/, '') ?? 'not available' }) };
    return { name: b.name, bundled: b.bundled, usable: false, reason: `listed by onnxruntime-node, not used by xfbench (run takes --device cpu or cuda)` };
  });
  const cores = cpus();
  return {
    node: process.version, platform: `${process.platform} ${process.arch}`,
    cpus: { count: availableParallelism(), model: cores[0]?.model },
    memoryGb: Math.round(totalmem() / 2 ** 30),
    onnxruntime: version('onnxruntime-node'),
    providers,
    threads: { intraOp: defaultIntraOpThreads(), imageWorkers: defaultImageWorkers(), logicalCpus: availableParallelism() },
    deviceAuto: cuda.used,
  };
}
