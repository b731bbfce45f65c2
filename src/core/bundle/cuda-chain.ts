/**
 * The chain `--device cuda` needs, link by link: onnxruntime-gpu's provider libraries beside
 * onnxruntime-node's libonnxruntime.so.1, the CUDA libraries scripts/install-cuda.sh put in one folder
 * (the provider finds them through its RUNPATH), the NVIDIA driver's libcuda.so.1, and a device. What
 * `doctor` shows, and what names the missing piece when CUDA does not load.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { xfbenchCacheDir } from '../../lib/cache-dir.js';
import { packageRoot } from '../../lib/package-root.js';

export const CUDA_PROVIDER = 'libonnxruntime_providers_cuda.so';
const SHARED_PROVIDER = 'libonnxruntime_providers_shared.so';
export const DRIVER = 'libcuda.so.1';

export interface ChainLink {
  /** What the link is: "CUDA provider", "libcublas.so.13", "NVIDIA driver", "GPU". */
  name: string;
  ok: boolean;
  /** Where it was found, or what is wrong. */
  detail: string;
}

/** What scripts/install_cuda.py records in the CUDA folder's installed.json. */
interface InstallRecord {
  onnxruntime: string;
  minimal: boolean;
  wheels: Record<string, string>;
  libraries: string[];
}

/** The folder of CUDA libraries: $XFBENCH_CUDA_DIR, else the cache's cuda/ (as scripts/install_cuda.py puts them). */
export function cudaDir(): string {
  return process.env.XFBENCH_CUDA_DIR ?? path.join(xfbenchCacheDir(), 'cuda');
}

/** The command that installs the chain, as the user would type it here. */
export function installCommand(): string {
  const script = path.join(packageRoot(), 'scripts', 'install-cuda.sh');
  const relative = path.relative(process.cwd(), script);
  return `bash ${relative.startsWith('..') ? script : relative}`;
}

/** Where onnxruntime loads execution providers from: the folder of onnxruntime-node's libonnxruntime.so.1. */
export function providerDir(): string | undefined {
  const require = createRequire(import.meta.url);
  const root = path.dirname(require.resolve('onnxruntime-node/package.json'));
  const bin = path.join(root, 'bin');
  for (const napi of existsSync(bin) ? readdirSync(bin).sort().reverse() : []) {
    const dir = path.join(bin, napi, process.platform, process.arch);
    if (existsSync(path.join(dir, 'libonnxruntime.so.1'))) return dir;
  }
  return undefined;
}

function installRecord(): InstallRecord | undefined {
  try {
    return JSON.parse(readFileSync(path.join(cudaDir(), 'installed.json'), 'utf8')) as InstallRecord;
  } catch {
    return undefined;
  }
}

/** The folders the dynamic loader searches for the driver: LD_LIBRARY_PATH, ldconfig's cache, the usual places. */
function findDriver(): string | undefined {
  const fromEnv = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  for (const dir of fromEnv) if (existsSync(path.join(dir, DRIVER))) return path.join(dir, DRIVER);
  const ldconfig = spawnSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' });
  const listed = ldconfig.stdout?.split('\n').find((l) => l.trim().startsWith(`${DRIVER} `) && l.includes('x86-64'));
  if (listed) return listed.split('=>')[1]?.trim();
  for (const dir of ['/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/local/nvidia/lib64', '/usr/lib/wsl/lib'])
    if (existsSync(path.join(dir, DRIVER))) return path.join(dir, DRIVER);
  return undefined;
}

function devices(): string[] {
  const gpus = '/proc/driver/nvidia/gpus';
  return existsSync(gpus) ? readdirSync(gpus) : [];
}

/** Each link of the chain, present or not, in the order the loader needs them. */
export function cudaChain(): ChainLink[] {
  const fix = `run ${installCommand()}`;
  const dir = providerDir();
  const record = installRecord();
  const links: ChainLink[] = [];
  if (dir === undefined) return [{ name: 'CUDA provider', ok: false, detail: 'onnxruntime-node has no Linux x64 binaries here' }];
  for (const file of [CUDA_PROVIDER, SHARED_PROVIDER]) {
    const present = existsSync(path.join(dir, file));
    links.push({
      name: file,
      ok: present,
      detail: present
        ? `${dir}${record ? ` (onnxruntime-gpu ${record.wheels['onnxruntime-gpu'] ?? record.onnxruntime})` : ''}`
        : `not beside libonnxruntime.so.1 in ${dir}: ${fix}`,
    });
  }
  const lib = path.join(cudaDir(), 'lib');
  if (record === undefined)
    links.push({ name: 'CUDA libraries', ok: false, detail: `no ${path.join(cudaDir(), 'installed.json')}: ${fix}` });
  for (const name of record?.libraries ?? []) {
    const present = existsSync(path.join(lib, name));
    links.push({ name, ok: present, detail: present ? lib : `missing from ${lib}: ${fix}` });
  }
  if (record?.minimal) links.push({ name: 'cuDNN', ok: false, detail: `installed with --minimal (no cuDNN, cuFFT, NVRTC): ${fix}` });
  const driver = findDriver();
  links.push({
    name: `NVIDIA driver (${DRIVER})`,
    ok: driver !== undefined,
    detail: driver ?? 'not found on this machine (the driver comes with the GPU: install it, or run on a GPU node)',
  });
  const gpus = devices();
  links.push({
    name: 'GPU',
    ok: gpus.length > 0,
    detail: gpus.length > 0 ? `${gpus.length} (${gpus.join(', ')})` : 'none found (/proc/driver/nvidia/gpus)',
  });
  return links;
}

const PROBE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cuda-probe.js');

/**
 * Why the CUDA provider does not open `graph`, in one line naming the missing piece: the provider not
 * installed, a CUDA library or the driver the loader cannot find (its own words, from a probe process),
 * or onnxruntime's message when it is none of those.
 */
export function cudaFailure(graph: string, error: string): string {
  const dir = providerDir();
  if (dir === undefined || !existsSync(path.join(dir, CUDA_PROVIDER)))
    return `the CUDA provider (${CUDA_PROVIDER}) is not installed beside onnxruntime-node's libonnxruntime.so.1`;
  const probe = spawnSync(process.execPath, [PROBE, graph], { encoding: 'utf8' });
  const missing = /with error: (\S+?): cannot open shared object file/.exec(probe.stderr ?? '')?.[1];
  if (missing === DRIVER) return `the NVIDIA driver (${DRIVER}) is not on this machine`;
  if (missing) return `the CUDA library ${missing} was not found (looked in ${path.join(cudaDir(), 'lib')}, the provider's RUNPATH)`;
  if (/no CUDA-capable device|cudaErrorNoDevice|CUDA driver version is insufficient/i.test(probe.stderr ?? ''))
    return `no usable GPU: ${/(no CUDA-capable device[^\n]*|CUDA driver version is insufficient[^\n]*)/i.exec(probe.stderr ?? '')?.[1] ?? 'none found'}`;
  return error;
}
