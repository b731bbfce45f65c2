import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('docs/errors.md', () => {
  it('lists every error code the code can raise', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/errors.md'), 'utf8');
    const codes = new Set(
      sources(path.join(ROOT, 'src')).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/'(E_[A-Z0-9_]+)'/g)].map((m) => m[1]!)),
    );
    codes.add('E_UNKNOWN_DATASET');
    codes.add('E_UNKNOWN_METRIC');
    expect(codes.size).toBeGreaterThan(25);
    const missing = [...codes].filter((c) => !doc.includes(`| ${c} |`));
    expect(missing).toEqual([]);
  });
});
