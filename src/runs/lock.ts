import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { XfError } from '../lib/errors.js';

export const LOCK_FILE = '.xfbench.lock';

interface LockInfo {
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

/**
 * An exclusive claim on a run folder, so two processes never append to one predictions file. A lock
 * left by a process that no longer runs (killed, crashed) on this host is stale and is taken over.
 */
export class RunLock {
  private held = false;

  private constructor(readonly file: string) {}

  static acquire(dir: string): RunLock {
    const lock = new RunLock(path.join(dir, LOCK_FILE));
    const info: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(lock.file, JSON.stringify(info), { flag: 'wx' });
        lock.held = true;
        return lock;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new XfError('E_OUT_DIR', `cannot create the lock file (${(err as NodeJS.ErrnoException).code})`, { file: lock.file });
        }
        const other = RunLock.read(lock.file);
        if (other && other.host === info.host && alive(other.pid) && other.pid !== process.pid) {
          throw new XfError('E_RUN_LOCKED', `another xfbench process (pid ${other.pid}, since ${other.startedAt}) is writing this run`, {
            file: lock.file, suggestion: 'Wait for it to finish, or stop it; a lock left by a dead process is taken over automatically.',
          });
        }
        if (other && other.host !== info.host) {
          throw new XfError('E_RUN_LOCKED', `the run is locked by a process on host ${other.host} (pid ${other.pid})`, {
            file: lock.file, suggestion: 'If that process is gone, delete the lock file.',
          });
        }
        rmSync(lock.file, { force: true }); // stale: its owner is dead
      }
    }
    throw new XfError('E_RUN_LOCKED', 'could not take over a stale lock', { file: lock.file });
  }

  private static read(file: string): LockInfo | undefined {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
    } catch {
      return undefined; // unreadable or half-written: treated as stale
    }
  }

  release(): void {
    if (this.held) rmSync(this.file, { force: true });
    this.held = false;
  }
}
