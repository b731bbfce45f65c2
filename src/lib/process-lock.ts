import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { XfError } from './errors.js';

/** Who holds a lock file. */
export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
  } catch {
    return undefined; // unreadable or half-written: treated as stale
  }
}

/**
 * An exclusive claim through a file created with O_EXCL, naming the process that holds it. A lock
 * left by a process that no longer runs (killed, crashed) on this host is stale and is taken over; a
 * lock of a live process, or of one on another host (whose liveness cannot be told), is not.
 */
export class ProcessLock {
  private held = true;

  private constructor(readonly file: string) {}

  /** The lock, or who holds it. */
  static tryAcquire(file: string): ProcessLock | { holder: LockHolder } {
    const mine: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(file, JSON.stringify(mine), { flag: 'wx' });
        return new ProcessLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new XfError('E_OUT_DIR', `cannot create the lock file (${(err as NodeJS.ErrnoException).code})`, { file });
        }
        const other = readHolder(file);
        if (other && other.host !== mine.host) return { holder: other };
        if (other && alive(other.pid) && other.pid !== process.pid) return { holder: other };
        rmSync(file, { force: true }); // stale: its owner is dead
      }
    }
    throw new XfError('E_RUN_LOCKED', 'could not take over a stale lock', {
      file,
      suggestion: 'Delete the lock file if no xfbench process uses it.',
    });
  }

  release(): void {
    if (this.held) rmSync(this.file, { force: true });
    this.held = false;
  }
}
