import { existsSync, type Stats } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { xfbenchCacheDir } from '../../lib/cache-dir.js';
import { writeFileAtomic } from '../../lib/files.js';

/** Files at least this large have their checked sha256 remembered; smaller ones hash faster than a lookup matters. */
export const REMEMBER_BYTES = 32 * 2 ** 20;

interface Entry {
  size: number;
  mtimeMs: number;
  sha256: string;
}

/** Where the checks are remembered: $XFBENCH_VERIFIED_FILES, else xfbench's cache folder. */
function storeFile(): string {
  return process.env.XFBENCH_VERIFIED_FILES ?? path.join(xfbenchCacheDir(), 'verified-files.json');
}

/**
 * The bundle files whose sha256 has already been checked, by path, size and modification time (as
 * git's index and make trust them): a converted real checkpoint holds gigabytes of weights, and
 * hashing a 6.7B model's 27 GB at every run start would take about a minute. A file that changed has
 * another mtime and is hashed again; XFBENCH_VERIFY=always hashes every file every time. The store is
 * a convenience: unreadable, it is empty; unwritable, nothing is remembered.
 */
export class VerifiedFiles {
  private dirty = false;

  private constructor(
    private readonly file: string,
    private readonly entries: Record<string, Entry>,
  ) {}

  static async open(): Promise<VerifiedFiles> {
    const file = storeFile();
    let entries: Record<string, Entry> = {};
    if (process.env.XFBENCH_VERIFY !== 'always') {
      try {
        entries = JSON.parse(await readFile(file, 'utf8')) as Record<string, Entry>;
      } catch {
        /* none yet, or unreadable: check everything */
      }
    }
    return new VerifiedFiles(file, entries);
  }

  /** Whether `file`, as `st` finds it now, was checked to have `sha256`. */
  known(file: string, st: Stats, sha256: string): boolean {
    return this.lookup(file, st) === sha256;
  }

  /** The sha256 remembered for `file`, if it is unchanged since (same size and mtime). */
  lookup(file: string, st: Stats): string | undefined {
    const e = this.entries[file];
    return e !== undefined && e.size === st.size && e.mtimeMs === st.mtimeMs ? e.sha256 : undefined;
  }

  remember(file: string, st: Stats, sha256: string): void {
    if (st.size < REMEMBER_BYTES) return;
    this.entries[file] = { size: st.size, mtimeMs: st.mtimeMs, sha256 };
    this.dirty = true;
  }

  async save(): Promise<void> {
    if (!this.dirty || process.env.XFBENCH_VERIFY === 'always') return;
    // entries of files that are gone (a deleted bundle) are dropped, so the store does not only grow
    for (const f of Object.keys(this.entries)) if (!existsSync(f)) delete this.entries[f];
    try {
      await mkdir(path.dirname(this.file), { recursive: true });
      await writeFileAtomic(this.file, JSON.stringify(this.entries));
    } catch {
      /* a read-only home: the files are hashed again next time */
    }
  }
}
