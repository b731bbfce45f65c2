import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * One folder per `vitest run` for the expensive results several test files share (test/helpers/shared.ts):
 * each is made once, by whichever file needs it first, and only if some selected file needs it, so a
 * unit test run alone pays nothing.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(path.join(tmpdir(), 'xfbench-shared-'));
  process.env.XFBENCH_TEST_SHARED = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
