import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
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
  ['runs', 'protocols'],
  ['endpoints'],
  ['compare', 'pipeline', 'convert'],
  ['suites', 'serve'],
  ['report'],
  ['workflows'],
  ['commands'],
  ['bench'],
];

/**
 * Inside core/, the same rule between its parts, lowest first: a folder or a file directly in core/.
 * The bundle (manifest, sessions) knows no vision or language; the LM reads visual tokens; the model
 * and doctor put everything together.
 */
const CORE_LAYERS: readonly (readonly string[])[] = [['tensors.ts'], ['bundle'], ['vision'], ['language'], ['model.ts', 'doctor.ts']];

const SRC = path.join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

interface ImportSite {
  spec: string | undefined;
  line: number;
}

/**
 * Every module a file names, found by TypeScript's own parser: import and export declarations
 * (type-only and side-effect ones included), `import x = require()`, and dynamic `import()` calls. A
 * dynamic import whose argument is not a plain string cannot be checked: it is listed with no spec.
 */
function importSites(file: string): ImportSite[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const sites: ImportSite[] = [];
  const add = (node: ts.Node, spec: ts.Expression | undefined) =>
    sites.push({
      spec: spec && (ts.isStringLiteral(spec) || ts.isNoSubstitutionTemplateLiteral(spec)) ? spec.text : undefined,
      line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1,
    });
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      if (node.moduleSpecifier) add(node, node.moduleSpecifier);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node, node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal as ts.Expression);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
}

/** Help text, where naming real datasets is the point: oclif's summary, description and examples. */
const HELP_PROPERTIES = new Set(['summary', 'description', 'examples']);

function inHelpText(node: ts.Node): boolean {
  for (let n: ts.Node | undefined = node; n; n = n.parent) {
    if ((ts.isPropertyAssignment(n) || ts.isPropertyDeclaration(n)) && ts.isIdentifier(n.name) && HELP_PROPERTIES.has(n.name.text))
      return true;
  }
  return false;
}

/** The string and template literals of a file's code (comments and help text aside), with their lines. */
function stringLiterals(file: string): { text: string; line: number }[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: { text: string; line: number }[] = [];
  const visit = (node: ts.Node): void => {
    const literal =
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node);
    if (literal && !inHelpText(node))
      found.push({ text: (node as ts.LiteralLikeNode).text, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Every relative import of a file, as paths of .ts files. */
function importsOf(file: string): string[] {
  return importSites(file)
    .map((s) => s.spec)
    .filter((s): s is string => s !== undefined && s.startsWith('.'))
    .map((s) => path.resolve(path.dirname(file), s).replace(/\.js$/, '.ts'));
}

const folderOf = (file: string) => path.relative(SRC, file).split(path.sep)[0]!;
const layerOf = (folder: string) => LAYERS.findIndex((l) => l.includes(folder));
const CORE = path.join(SRC, 'core');
const corePartOf = (file: string) => path.relative(CORE, file).split(path.sep)[0]!;
const coreLayerOf = (file: string) => CORE_LAYERS.findIndex((l) => l.includes(corePartOf(file)));
const inCore = (file: string) => folderOf(file) === 'core';
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

  it('puts every part of core/ in a layer, and imports only downward inside core/', () => {
    const parts = [...new Set(files.filter(inCore).map(corePartOf))];
    for (const part of parts) expect(coreLayerOf(path.join(CORE, part)), `src/core/${part} is in no core layer`).toBeGreaterThanOrEqual(0);
    const upward: string[] = [];
    for (const [file, imports] of graph) {
      if (!inCore(file)) continue;
      for (const target of imports) {
        if (!inCore(target) || corePartOf(file) === corePartOf(target)) continue;
        if (coreLayerOf(target) >= coreLayerOf(file)) upward.push(`${rel(file)} -> ${rel(target)}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('names every dynamically imported module with a plain string, so the checks above see it', () => {
    const opaque = files.flatMap((f) =>
      importSites(f)
        .filter((s) => s.spec === undefined)
        .map((s) => `${rel(f)}:${s.line}`),
    );
    expect(opaque).toEqual([]);
  });

  it('finds imports of every form (the parser, not a pattern, reads them)', () => {
    const probe = path.join(ROOT, 'test/fixtures-architecture/imports.ts');
    expect(importSites(probe).map((s) => s.spec)).toEqual([
      './single.js',
      './double.js',
      './side-effect.js',
      './type-only.js',
      './re-export.js',
      './star.js',
      './dynamic.js',
      './template.js',
      './required.js',
      './import-type.js',
      undefined,
    ]);
  });

  it('names no dataset or metric in the code of the generic layers (what a benchmark knows is on its adapter)', async () => {
    const { datasetRegistry } = await import('../src/datasets/registry.js');
    const ids = datasetRegistry().ids();
    const named = new RegExp(`\\b(${ids.map((id) => id.replace(/-/g, '\\-')).join('|')})\\b`, 'i');
    const generic = ['report', 'compare', 'pipeline', 'commands', 'workflows'];
    const hits = files
      .filter((f) => generic.includes(folderOf(f)))
      .flatMap((f) =>
        stringLiterals(f)
          .filter((l) => named.test(l.text))
          .map((l) => `${rel(f)}:${l.line} ${l.text}`),
      );
    expect(hits).toEqual([]);
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
