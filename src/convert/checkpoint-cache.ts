import { existsSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { loadBundle, MANIFEST_FILE } from '../core/bundle/manifest.js';
import { VerifiedFiles } from '../core/bundle/verified-files.js';
import { xfbenchCacheDir } from '../lib/cache-dir.js';
import { sha256File, sha256Text } from '../lib/files.js';
import { convertCheckpoint } from './convert.js';

/** A Hugging Face checkpoint folder (save_pretrained's config.json), not a bundle. */
export function isCheckpointFolder(dir: string): boolean {
  return existsSync(path.join(dir, 'config.json')) && !existsSync(path.join(dir, MANIFEST_FILE));
}

async function filesBelow(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(path.join(dir, prefix), { withFileTypes: true });
  const files: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = path.join(prefix, e.name);
    if (e.isDirectory()) files.push(...(await filesBelow(dir, rel)));
    else if (e.isFile()) files.push(rel);
  }
  return files;
}

/**
 * What names a checkpoint's conversion: every file's path and sha256 (an X-Former's part folders
 * included). A large file's sha256 is remembered by size and mtime, as bundle files are, so a second
 * run of a 15 GB checkpoint does not hash it again.
 */
async function checkpointKey(dir: string): Promise<string> {
  const verified = await VerifiedFiles.open();
  const lines: string[] = [];
  for (const rel of await filesBelow(dir)) {
    const file = path.resolve(dir, rel);
    const st = await stat(file);
    let sha = verified.lookup(file, st);
    if (!sha) {
      sha = await sha256File(file);
      verified.remember(file, st, sha);
    }
    lines.push(`${rel}\t${sha}`);
  }
  await verified.save();
  return sha256Text(lines.join('\n'));
}

export interface CheckpointBundle {
  bundleDir: string;
  /** Converted now (false: found in the cache). */
  converted: boolean;
}

/**
 * The bundle of a checkpoint folder, from xfbench's cache (bundles/<key>), converting it there the
 * first time. The conversion is written beside its place and moved in whole (convertCheckpoint), so a
 * failed one leaves nothing in the cache; an entry that no longer loads is made again.
 */
export async function bundleForCheckpoint(dir: string, onProgress?: (message: string) => void): Promise<CheckpointBundle> {
  const checkpoint = path.resolve(dir);
  const bundleDir = path.join(xfbenchCacheDir(), 'bundles', (await checkpointKey(checkpoint)).slice(0, 24));
  if (existsSync(bundleDir)) {
    const usable = await loadBundle(bundleDir).then(
      () => true,
      () => false,
    );
    if (usable) return { bundleDir, converted: false };
    await rm(bundleDir, { recursive: true, force: true });
  }
  await convertCheckpoint({ checkpoint, out: bundleDir, onProgress });
  return { bundleDir, converted: true };
}
