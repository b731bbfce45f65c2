import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = path.join(ROOT, 'fixtures');
export const BUNDLES = {
  clip: path.join(FIXTURES, 'models/xf-tiny-clip'),
  xformer: path.join(FIXTURES, 'models/xf-tiny-xformer'),
} as const;
export const GQA_MINI = path.join(FIXTURES, 'gqa-mini');

export function tempDir(prefix = 'xfbench-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Rewrites a bundle's xfbench.json through `edit` (tests build broken bundles from copies). */
export function editManifest(dir: string, edit: (m: Record<string, any>) => void): void {
  const file = path.join(dir, 'xfbench.json');
  const m = JSON.parse(readFileSync(file, 'utf8'));
  edit(m);
  writeFileSync(file, JSON.stringify(m));
}

/** A suite file at `file`: its name and its benchmarks (dataset, and a limit or other member settings). */
export function writeSuiteFile(file: string, name: string, benchmarks: Record<string, unknown>[]): string {
  writeFileSync(file, JSON.stringify({ name, benchmarks }));
  return file;
}
