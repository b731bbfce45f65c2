import { describe, expect, it } from 'vitest';
import { commands } from '../../src/commands/index.js';
import { runCli } from '../helpers/cli.js';
import { BUNDLES } from '../helpers/paths.js';

describe('xfbench doctor', () => {
  it('names the versions and every provider, with why one cannot be used', () => {
    const r = runCli(['doctor', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as {
      node: string;
      onnxruntime: string;
      providers: Array<{ name: string; usable: boolean; reason?: string }>;
      deviceAuto: string;
    };
    expect(d.node).toBe(process.version);
    expect(d.onnxruntime).toMatch(/^\d+\.\d+\.\d+$/);
    expect(d.providers.find((p) => p.name === 'cpu')!.usable).toBe(true);
    const cuda = d.providers.find((p) => p.name === 'cuda')!;
    expect(cuda.usable || Boolean(cuda.reason)).toBe(true);
    expect(['cpu', 'cuda']).toContain(d.deviceAuto);
    // the runtime's threads and the image workers share the cores rather than fight over them
    const t = (d as unknown as { threads: { intraOp: number; imageWorkers: number; logicalCpus: number } }).threads;
    expect(t.intraOp).toBeGreaterThanOrEqual(1);
    expect(t.intraOp + t.imageWorkers).toBeLessThanOrEqual(Math.max(2, t.logicalCpus));
  });
});

describe('xfbench inspect', () => {
  it.each([
    ['clip', BUNDLES.clip, 4],
    ['xformer', BUNDLES.xformer, 5],
  ] as const)('describes the %s bundle from its graphs', (_kind, dir, graphs) => {
    const r = runCli(['inspect', dir, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as {
      graphs: Array<{ role: string; inputs: Array<{ name: string; shape: unknown[] }> }>;
      visualTokens: number;
    };
    expect(d.graphs).toHaveLength(graphs);
    expect(d.visualTokens).toBe(65);
    const decoder = d.graphs.find((g) => g.role.startsWith('LM decoder'))!;
    expect(decoder.inputs.map((i) => i.name)).toContain('past_key_values.0.key');
    expect(runCli(['inspect', dir]).stdout).toMatch(/LM decoder \(with key\/value cache\): /);
  });
});

describe('every command', () => {
  it.each(Object.entries(commands))('%s has --json and examples', (_name, command) => {
    expect(command.enableJsonFlag).toBe(true);
    expect((command.examples ?? []).length).toBeGreaterThan(0);
  });
});

describe('shell completion', () => {
  it('builds bash, zsh and PowerShell completions that know every command', async () => {
    const { readFileSync } = await import('node:fs');
    const path = await import('node:path');
    const { tempDir } = await import('../helpers/paths.js');
    const cache = tempDir('xfbench-complete-');
    const r = runCli(['autocomplete', '--refresh-cache'], { env: { XDG_CACHE_HOME: cache } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/Node version must be/);
    const bash = readFileSync(path.join(cache, 'xfbench/autocomplete/functions/bash/xfbench.bash'), 'utf8');
    for (const name of Object.keys(commands)) expect(bash).toContain(name);
  });
});
