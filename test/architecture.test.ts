import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/paths.js';

/**
 * The layers of src/, lowest first (ARCHITECTURE.md draws them). A module may import from its own
 * folder or from a lower layer; folders that share a layer do not import each other.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['lib'],
  ['core', 'datasets'],
  ['metrics'],
  ['runs'],
  ['compare', 'pipeline', 'convert'],
  ['suites'],
  ['report'],
  ['commands'],
  ['bench'],
];

const SRC = path.join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import of a file (static, re-export, type-only and dynamic), as paths of .ts files. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s*'([^']+)'/gm),
    ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
  ].map((m) => m[1]!).filter((s) => s.startsWith('.'));
  return specs.map((s) => path.resolve(path.dirname(file), s).replace(/\.js$/, '.ts'));
}

const folderOf = (file: string) => path.relative(SRC, file).split(path.sep)[0]!;
const layerOf = (folder: string) => LAYERS.findIndex((l) => l.includes(folder));
const rel = (file: string) => path.relative(ROOT, file);

const files = sourceFiles(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

describe('the layout of src/', () => {
  it('puts every top-level folder in a layer', () => {
    const folders = [...new Set(files.filter((f) => path.dirname(f) !== SRC).map(folderOf))];
    for (const folder of folders) expect(layerOf(folder), `src/${folder} is in no layer`).toBeGreaterThanOrEqual(0);
  });

  it('imports only downward', () => {
    const upward: string[] = [];
    for (const [file, imports] of graph) {
      for (const target of imports) {
        const from = folderOf(file);
        const to = folderOf(target);
        if (from !== to && layerOf(to) >= layerOf(from)) upward.push(`${rel(file)} -> ${rel(target)}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('has no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, trail: string[]): void => {
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === 'open') cycles.push([...trail.slice(trail.indexOf(next)), next].map(rel).join(' -> '));
        else if (!state.has(next)) visit(next, [...trail, next]);
      }
      state.set(file, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f, [f]);
    expect(cycles).toEqual([]);
  });

  it('resolves every relative import to a file', () => {
    const missing = [...graph].flatMap(([file, imports]) => imports.filter((t) => !graph.has(t)).map((t) => `${rel(file)} -> ${rel(t)}`));
    expect(missing).toEqual([]);
  });

  it('keeps files under 300 lines unless the file says at its top why it is longer', () => {
    const long = files.filter((f) => {
      const text = readFileSync(f, 'utf8');
      return text.split('\n').length > 300 && !/^\/\/ Longer than 300 lines: \S/.test(text);
    });
    expect(long.map(rel)).toEqual([]);
  });
});
