import { createHash } from 'node:crypto';
import { closeSync, cpSync, existsSync, openSync, readFileSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadBundle } from '../../src/core/bundle/manifest.js';
import { REMEMBER_BYTES } from '../../src/core/bundle/verified-files.js';
import type { XfError } from '../../src/lib/errors.js';
import { BUNDLES, editManifest, tempDir } from '../helpers/paths.js';

/** A copy of the tiny X-Former with a weights file as large as a real one needs to be remembered. */
function bundleWithLargeFile(): { dir: string; large: string } {
  const dir = path.join(tempDir(), 'bundle');
  cpSync(BUNDLES.xformer, dir, { recursive: true });
  const large = path.join(dir, 'weights.data');
  const bytes = Buffer.alloc(REMEMBER_BYTES, 7);
  writeFileSync(large, bytes);
  editManifest(dir, (m) => {
    m.files['weights.data'] = createHash('sha256').update(bytes).digest('hex');
  });
  return { dir, large };
}

function flipFirstByte(file: string): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from([8]), 0, 1, 0);
  closeSync(fd);
}

describe('bundle files already checked', () => {
  const saved = { ...process.env };
  let store: string;
  beforeEach(() => {
    store = path.join(tempDir(), 'verified-files.json');
    process.env.XFBENCH_VERIFIED_FILES = store;
    delete process.env.XFBENCH_VERIFY;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it("remembers a large file's checked sha256 by size and mtime, and hashes it again once it changes", async () => {
    const { dir, large } = bundleWithLargeFile();
    await loadBundle(dir);
    const entries = JSON.parse(readFileSync(store, 'utf8')) as Record<string, { size: number }>;
    expect(Object.keys(entries)).toEqual([path.resolve(large)]);
    flipFirstByte(large);
    utimesSync(large, new Date(), new Date(Date.now() + 5_000));
    const err = (await loadBundle(dir).catch((e: unknown) => e)) as XfError;
    expect(err.code).toBe('E_SHA256_MISMATCH');
  });

  it('trusts an unchanged size and mtime, and XFBENCH_VERIFY=always hashes every file anyway', async () => {
    const { dir, large } = bundleWithLargeFile();
    const first = await loadBundle(dir);
    flipFirstByte(large);
    // the store told that the changed file, at its new mtime, was checked: it is trusted, as git's index trusts a stat
    const entries = JSON.parse(readFileSync(store, 'utf8')) as Record<string, { mtimeMs: number }>;
    entries[path.resolve(large)]!.mtimeMs = statSync(large).mtimeMs;
    writeFileSync(store, JSON.stringify(entries));
    const trusted = await loadBundle(dir);
    expect([trusted.dir, trusted.hash, trusted.bytes]).toEqual([first.dir, first.hash, first.bytes]);
    expect(readFileSync(large)[0]).toBe(8); // the changed bytes were there, and not read
    process.env.XFBENCH_VERIFY = 'always';
    expect(((await loadBundle(dir).catch((e: unknown) => e)) as XfError).code).toBe('E_SHA256_MISMATCH');
  });

  it('remembers nothing for small files (the bundled models)', async () => {
    await loadBundle(BUNDLES.clip);
    expect(existsSync(store)).toBe(false);
  });
});
