import { execFileSync } from 'node:child_process';

/** The commit of the git work tree at `dir`, or null outside one (or without git). */
export function gitCommit(dir: string): string | null {
  try {
    return (
      execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim() || null
    );
  } catch {
    return null;
  }
}
