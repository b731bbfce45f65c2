import { hostname } from 'node:os';
import path from 'node:path';
import { XfError } from '../lib/errors.js';
import { ProcessLock } from '../lib/process-lock.js';

export const LOCK_FILE = '.xfbench.lock';

/**
 * An exclusive claim on a run folder, so two processes never append to one predictions file. A lock
 * left by a process that no longer runs (killed, crashed) on this host is stale and is taken over.
 */
export class RunLock {
  private constructor(private readonly lock: ProcessLock) {}

  static acquire(dir: string): RunLock {
    const file = path.join(dir, LOCK_FILE);
    const got = ProcessLock.tryAcquire(file);
    if (got instanceof ProcessLock) return new RunLock(got);
    const other = got.holder;
    if (other.host === hostname()) {
      throw new XfError('E_RUN_LOCKED', `another xfbench process (pid ${other.pid}, since ${other.startedAt}) is writing this run`, {
        file,
        suggestion: 'Wait for it to finish, or stop it; a lock left by a dead process is taken over automatically.',
      });
    }
    throw new XfError('E_RUN_LOCKED', `the run is locked by a process on host ${other.host} (pid ${other.pid})`, {
      file,
      suggestion: 'If that process is gone, delete the lock file.',
    });
  }

  release(): void {
    this.lock.release();
  }
}
