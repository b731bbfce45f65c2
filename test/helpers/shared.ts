import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from './paths.js';

const WAIT_MS = 15 * 60_000;

/**
 * A result several test files need (a full run, a converted checkpoint), made once per `vitest run`:
 * the first worker to ask makes it in a folder of the run's shared folder (test/global-setup.ts), and
 * the others wait for it there. `make` gets that folder and returns what to hand out (JSON). A failure
 * is handed out too, so every file that needed the result fails with its message.
 */
export async function shared<T>(key: string, make: (dir: string) => T | Promise<T>): Promise<T> {
  // without the global set-up (a file run on its own by another tool), this process shares with itself
  const root = (process.env.XFBENCH_TEST_SHARED ??= tempDir('xfbench-shared-'));
  const dir = path.join(root, key);
  const done = path.join(dir, 'shared-result.json');
  let mine = true;
  try {
    mkdirSync(dir, { recursive: false });
  } catch {
    mine = false;
  }
  if (mine) {
    let outcome: { value?: T; error?: string };
    try {
      outcome = { value: await make(dir) };
    } catch (err) {
      outcome = { error: (err as Error).stack ?? String(err) };
    }
    writeFileSync(`${done}.tmp`, JSON.stringify(outcome));
    renameSync(`${done}.tmp`, done); // whole or not at all, for the workers polling for it
    if (outcome.error !== undefined) throw new Error(outcome.error);
    return outcome.value as T;
  }
  const until = Date.now() + WAIT_MS;
  while (!existsSync(done)) {
    if (Date.now() > until) throw new Error(`shared result ${key} not made within ${WAIT_MS / 60_000} minutes`);
    await sleep(100);
  }
  const outcome = JSON.parse(readFileSync(done, 'utf8')) as { value?: T; error?: string };
  if (outcome.error !== undefined) throw new Error(`shared result ${key} failed where it was made: ${outcome.error}`);
  return outcome.value as T;
}
