import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { xfbenchCacheDir } from '../../src/lib/cache-dir.js';
import { tempDir, ROOT } from '../helpers/paths.js';

/**
 * scripts/install-cuda.sh on a machine without a GPU (CI): the installer's refusals, then the real
 * chain from PyPI's wheels into an xfbench installed apart (its own onnxruntime-node, so the other
 * tests' `--device auto` never meets the provider). xfbench must then load the wheel's provider and
 * its CUDA libraries by itself, and stop at the one link a CPU machine lacks: the driver.
 */
const work = tempDir('xfbench-cuda-');
const install = path.join(work, 'xfbench');
const ortDir = path.join(install, 'node_modules', 'onnxruntime-node');
const cudaDir = path.join(work, 'cuda');
const env = { ...process.env, XFBENCH_CUDA_DIR: cudaDir, XFBENCH_ORT_DIR: ortDir };
const onGpuMachine = existsSync('/proc/driver/nvidia');

/** xfbench as npm would install it, with a copy of onnxruntime-node's Linux x64 files and links to every other package. */
function installApart(): void {
  mkdirSync(path.join(install, 'node_modules'), { recursive: true });
  for (const item of ['package.json', 'bin', 'dist', 'oclif.manifest.json'])
    cpSync(path.join(ROOT, item), path.join(install, item), { recursive: true });
  for (const item of ['assets', 'fixtures', 'protocols']) symlinkSync(path.join(ROOT, item), path.join(install, item));
  for (const pkg of readdirSync(path.join(ROOT, 'node_modules')))
    if (pkg !== 'onnxruntime-node') symlinkSync(path.join(ROOT, 'node_modules', pkg), path.join(install, 'node_modules', pkg));
  const source = path.join(ROOT, 'node_modules', 'onnxruntime-node');
  for (const item of ['package.json', 'dist', 'lib', 'script', 'bin/napi-v6/linux/x64'])
    cpSync(path.join(source, item), path.join(ortDir, item), { recursive: true });
}

function installer(args: string[]) {
  return spawnSync('bash', [path.join(ROOT, 'scripts', 'install-cuda.sh'), ...args], { encoding: 'utf8', env, timeout: 900_000 });
}

function xfbench(args: string[]) {
  return spawnSync(process.execPath, [path.join(install, 'bin', 'run.js'), ...args], { encoding: 'utf8', env, cwd: work });
}

const providerFile = path.join(ortDir, 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so');

describe('scripts/install-cuda.sh', () => {
  beforeAll(() => installApart());

  it('refuses, in one line and writing nothing, --offline without the wheel or with another version', () => {
    // the tests may run in either order: what the refusals leave is what was there before
    const before = [existsSync(providerFile), existsSync(cudaDir) && readdirSync(cudaDir)];
    const empty = path.join(work, 'no-wheels');
    mkdirSync(empty);
    const missing = installer(['--offline', empty]);
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(
      /no-wheels: no onnxruntime_gpu-1\.30\.0-\*\.whl there\. Where PyPI is reachable: pip download .*onnxruntime-gpu==1\.30\.0/,
    );
    const other = path.join(work, 'other-version');
    mkdirSync(other);
    writeFileSync(path.join(other, 'onnxruntime_gpu-1.29.0-cp311-cp311-manylinux_2_28_x86_64.whl'), '');
    const mismatch = installer(['--offline', other]);
    expect(mismatch.status).toBe(2);
    expect(mismatch.stderr.trim().split('\n')).toHaveLength(1);
    expect(mismatch.stderr).toMatch(
      /onnxruntime-gpu 1\.29\.0, but onnxruntime-node is 1\.30\.0: the CUDA provider must come from the same version/,
    );
    expect([existsSync(providerFile), existsSync(cudaDir) && readdirSync(cudaDir)]).toEqual(before);
  });

  it.skipIf(onGpuMachine)(
    'installs the chain from PyPI; xfbench loads the provider and its CUDA libraries by itself and names the driver',
    () => {
      // the wheels are kept in the cache between runs (770 MB: the provider, cuBLAS, cuRAND, the runtime)
      const wheels = path.join(xfbenchCacheDir(), 'test-cuda-wheels');
      const first = installer(['--minimal', '--download-dir', wheels]);
      expect(first.status, first.stderr).toBe(0);
      expect(existsSync(providerFile)).toBe(true);
      const again = installer(['--minimal', '--download-dir', wheels]);
      expect(again.status).toBe(0);
      expect(again.stderr).toMatch(/already installed/);

      const doctor = xfbench(['doctor', '--json']);
      expect(doctor.status, doctor.stderr).toBe(0);
      const chain = (JSON.parse(doctor.stdout) as { cudaChain: Array<{ name: string; ok: boolean }> }).cudaChain;
      const missing = chain.filter((l) => !l.ok).map((l) => l.name);
      expect(missing).toEqual(['cuDNN', 'NVIDIA driver (libcuda.so.1)', 'GPU']);
      expect(chain.map((l) => l.name)).toEqual(expect.arrayContaining(['libcublasLt.so.13', 'libcudart.so.13', 'libcurand.so.10']));

      // the loader got as far as the driver: every library before it was found without LD_LIBRARY_PATH
      const cuda = xfbench(['run', 'gqa', '--limit', '2', '--device', 'cuda', '--out', path.join(work, 'cuda-run')]);
      expect(cuda.status).toBe(2);
      expect(cuda.stderr.trim().split('\n')).toHaveLength(1);
      expect(cuda.stderr).toMatch(/E_CUDA_UNAVAILABLE: .*the NVIDIA driver \(libcuda\.so\.1\) is not on this machine/);
      expect(cuda.stderr).not.toMatch(/providers_cuda|Failed to load shared library/);

      const auto = xfbench(['run', 'gqa', '--limit', '2', '--out', path.join(work, 'auto-run')]);
      expect(auto.status, auto.stderr).toBe(0);
      expect(auto.stderr.split('\n').filter((l) => /CUDA/.test(l))).toEqual([
        'xfbench: CUDA unavailable (the NVIDIA driver (libcuda.so.1) is not on this machine); using CPU',
      ]);

      // a cluster's node without PyPI: the same wheels from a folder, into another CUDA folder
      const offlineDir = path.join(work, 'cuda-offline');
      const offline = installer(['--minimal', '--offline', wheels, '--cuda-dir', offlineDir]);
      expect(offline.status, offline.stderr).toBe(0);
      expect(offline.stderr).toMatch(new RegExp(`from ${wheels}`));
      const moved = spawnSync(
        process.execPath,
        [path.join(install, 'bin', 'run.js'), 'run', 'gqa', '--limit', '1', '--device', 'cuda', '--out', path.join(work, 'offline-run')],
        {
          encoding: 'utf8',
          env: { ...env, XFBENCH_CUDA_DIR: offlineDir },
        },
      );
      expect(moved.stderr).toMatch(/the NVIDIA driver \(libcuda\.so\.1\) is not on this machine/);
    },
    900_000,
  );
});
