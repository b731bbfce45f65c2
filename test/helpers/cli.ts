import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { startServeProcess, type ServeProcess } from '../../src/serve/serve-process.js';
import { ROOT } from './paths.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (dist/) as a user would, without colour. */
export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/run.js'), ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...opts.env },
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking this process's event loop (a test that serves requests to the CLI it runs). */
export function runCliAsync(args: string[], opts: { env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/run.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

export type ServingCli = ServeProcess;

/** `xfbench serve ARGS --port 0` from this checkout, once it says where it listens. */
export function serveCli(args: string[], opts: { env?: Record<string, string> } = {}): Promise<ServingCli> {
  return startServeProcess(path.join(ROOT, 'bin/run.js'), args, opts.env);
}
