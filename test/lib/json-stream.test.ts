import { writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { XfError } from '../../src/lib/errors.js';
import { streamJsonMembers } from '../../src/lib/json-stream.js';
import { sha256Text } from '../../src/lib/files.js';
import { tempDir } from '../helpers/paths.js';

async function members(text: string, chunkSize: number): Promise<{ entries: [string | number, unknown][]; sha?: string }> {
  const file = path.join(tempDir(), 'x.json');
  writeFileSync(file, text);
  const entries: [string | number, unknown][] = [];
  let sha: string | undefined;
  for await (const e of streamJsonMembers(file, {
    chunkSize,
    onDone: (h) => {
      sha = h;
    },
  }))
    entries.push([e.key, e.value]);
  return { entries, sha };
}

/** JSON text with the given whitespace around every structural character (never inside strings). */
function spaced(value: unknown, ws: string): string {
  if (Array.isArray(value)) return `[${ws}${value.map((v) => spaced(v, ws)).join(`${ws},${ws}`)}${ws}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}${ws}:${ws}${spaced(v, ws)}`);
    return `{${ws}${members.join(`${ws},${ws}`)}${ws}}`;
  }
  return JSON.stringify(value);
}

describe('streamJsonMembers', () => {
  it('yields exactly what JSON.parse gives, member by member, whatever the chunk boundaries', async () => {
    const member = fc.jsonValue({ maxDepth: 3 });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.dictionary(fc.string(), member, { maxKeys: 8 }), fc.array(member, { maxLength: 8 })),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom('', ' ', '\n\t '),
        async (container, chunkSize, ws) => {
          const text = spaced(container, ws);
          const { entries, sha } = await members(text, chunkSize);
          const parsed = JSON.parse(text) as Record<string, unknown> | unknown[];
          const expected = Array.isArray(parsed) ? parsed.map((v, i) => [i, v]) : Object.entries(parsed);
          // JSON.parse keeps the last of duplicate names and moves integer-like names first; compare as maps
          expect(new Map(entries)).toEqual(new Map(expected));
          expect(sha).toBe(sha256Text(text));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('handles multi-byte UTF-8 split across chunks and escaped quotes in names and values', async () => {
    const value = { 'é"\\ü': 'naïve "quoted" \u{1F600}', '{[': ['}', ']'], 'n': -1.5e3, 't': true, 'z': null };
    const { entries } = await members(JSON.stringify(value), 3);
    expect(Object.fromEntries(entries)).toEqual(value);
  });

  it.each([
    ['empty file', ''],
    ['not a container', '"text"'],
    ['unterminated object', '{"a": 1'],
    ['missing colon', '{"a" 1}'],
    ['bad value', '{"a": tru}'],
    ['trailing comma', '{"a": 1,}'],
    ['text after the end', '{"a": 1} x'],
    ['unquoted name', '{a: 1}'],
  ])('refuses %s with E_BAD_JSON naming the byte', async (_what, text) => {
    const error = await members(text, 4).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(XfError);
    expect((error as XfError).code).toBe('E_BAD_JSON');
    expect((error as XfError).message).toMatch(/byte \d+/);
  });
});
