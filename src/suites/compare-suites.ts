import { existsSync } from 'node:fs';
import path from 'node:path';
import { compareWithBaseline, type CompareOptions, type Comparison } from '../compare/compare.js';
import { XfError } from '../lib/errors.js';
import { readRunHeader } from '../runs/read-run.js';
import { readSuiteRecord, SUITE_FILE } from './suite-file.js';

export function isSuiteDir(dir: string): boolean {
  return existsSync(path.join(dir, SUITE_FILE));
}

/** Two suite folders, benchmark by benchmark: every member of A that B also ran, compared as two runs. */
export async function compareSuites(
  dirA: string,
  dirB: string,
  opts: CompareOptions,
): Promise<{ comparisons: Comparison[]; missing: string[] }> {
  const [a, b] = await Promise.all([readSuiteRecord(dirA), readSuiteRecord(dirB)]);
  const inB = new Map(b.members.map((m) => [m.name, m]));
  const shared = a.members.filter((m) => inB.has(m.name));
  if (shared.length === 0) {
    throw new XfError(
      'E_ITEMS_DIFFER',
      `the suites share no benchmark (A: ${a.members.map((m) => m.name).join(', ')}; B: ${b.members.map((m) => m.name).join(', ')})`,
      { file: path.join(dirB, SUITE_FILE) },
    );
  }
  const comparisons: Comparison[] = [];
  for (const m of shared) {
    const [runA, runB] = await Promise.all([readRunHeader(path.join(dirA, m.run)), readRunHeader(path.join(dirB, inB.get(m.name)!.run))]);
    const [c] = await compareWithBaseline(runA, [runB], opts);
    comparisons.push({ ...c!, notes: [`suite benchmark "${m.name}"`, ...c!.notes] });
  }
  return {
    comparisons,
    missing: [
      ...a.members.filter((m) => !inB.has(m.name)).map((m) => m.name),
      ...b.members.filter((m) => !a.members.some((x) => x.name === m.name)).map((m) => m.name),
    ],
  };
}
