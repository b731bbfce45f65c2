import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { loadBundle, MANIFEST_FILE } from '../core/bundle/manifest.js';
import { VerifiedFiles } from '../core/bundle/verified-files.js';
import { xfbenchCacheDir } from '../lib/cache-dir.js';
import { XfError } from '../lib/errors.js';
import { ProcessLock } from '../lib/process-lock.js';
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

/** Where the cache keeps (or will keep) a checkpoint's bundle: named by its files' hashes. */
export async function cachedBundleDir(checkpoint: string): Promise<string> {
  return path.join(xfbenchCacheDir(), 'bundles', (await checkpointKey(path.resolve(checkpoint))).slice(0, 24));
}

/** How often a process waiting for another's conversion looks again. */
const WAIT_POLL_MS = 1000;
/** A conversion on another host (a shared cache) is waited for this long before its lock counts as left behind. */
const FOREIGN_LOCK_HOURS = 12;

async function usableBundle(dir: string): Promise<boolean> {
  if (!existsSync(dir)) return false;
  return loadBundle(dir).then(
    () => true,
    () => false,
  );
}

/**
 * The bundle of a checkpoint folder, from xfbench's cache (bundles/<key>), converting it there the
 * first time. The conversion is written beside its place and moved in whole (convertCheckpoint), so a
 * failed one leaves nothing in the cache; an entry that no longer loads is made again. One process
 * converts a given checkpoint at a time (bundles/<key>.lock): the shards of a run started together on
 * one checkpoint wait for the first to convert it, then use its bundle, rather than each converting it
 * (each conversion takes about twice the checkpoint's memory).
 */
export async function bundleForCheckpoint(
  dir: string,
  onProgress?: (message: string) => void,
  opts: { pollMs?: number } = {},
): Promise<CheckpointBundle> {
  const checkpoint = path.resolve(dir);
  const bundleDir = await cachedBundleDir(checkpoint);
  await mkdir(path.dirname(bundleDir), { recursive: true });
  let waited = false;
  for (;;) {
    if (await usableBundle(bundleDir)) return { bundleDir, converted: false };
    const got = ProcessLock.tryAcquire(`${bundleDir}.lock`);
    if (got instanceof ProcessLock) {
      try {
        // another process may have finished between the look and the lock
        if (await usableBundle(bundleDir)) return { bundleDir, converted: false };
        await rm(bundleDir, { recursive: true, force: true });
        await convertCheckpoint({ checkpoint, out: bundleDir, onProgress });
        return { bundleDir, converted: true };
      } finally {
        got.release();
      }
    }
    const { holder } = got;
    if (holder.host !== hostname() && Date.now() - Date.parse(holder.startedAt) > FOREIGN_LOCK_HOURS * 3_600_000) {
      throw new XfError(
        'E_CACHE_LOCKED',
        `a conversion of this checkpoint on host ${holder.host} (pid ${holder.pid}) has held the cache since ${holder.startedAt}`,
        {
          file: `${bundleDir}.lock`,
          suggestion: 'If that process is gone, delete the lock file.',
        },
      );
    }
    if (!waited) onProgress?.(`waiting for another xfbench (pid ${holder.pid} on ${holder.host}) converting this checkpoint`);
    waited = true;
    await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? WAIT_POLL_MS));
  }
}
