import os from 'node:os';
import path from 'node:path';

/** xfbench's own cache folder: $XFBENCH_CACHE_DIR, else $XDG_CACHE_HOME/xfbench, else ~/.cache/xfbench. */
export function xfbenchCacheDir(): string {
  return process.env.XFBENCH_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'xfbench');
}
