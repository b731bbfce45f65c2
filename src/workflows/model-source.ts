import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { bundleForCheckpoint, isCheckpointFolder } from '../convert/checkpoint-cache.js';
import { xfbenchCacheDir } from '../lib/cache-dir.js';
import { displayPath } from '../lib/display-path.js';

/**
 * What `--model` names, as a bundle folder: a bundle as it is, or a Hugging Face checkpoint folder
 * converted once into xfbench's cache (keyed by its files' sha256s) and reused after that. `say`
 * gets the lines a person at a terminal should see: the conversion's progress and where it went.
 */
export async function bundleDirOf(model: string | undefined, say?: (line: string) => void): Promise<string | undefined> {
  if (model === undefined || !isCheckpointFolder(path.resolve(model))) return model;
  await mkdir(path.join(xfbenchCacheDir(), 'bundles'), { recursive: true });
  const { bundleDir, converted } = await bundleForCheckpoint(model, (m) => say?.(`converting ${displayPath(path.resolve(model))}: ${m}`));
  if (converted) say?.(`converted the checkpoint ${displayPath(path.resolve(model))} into ${displayPath(bundleDir)}; later runs reuse it`);
  return bundleDir;
}
