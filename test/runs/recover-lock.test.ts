import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { XfError } from '../../src/lib/errors.js';
import { LOCK_FILE, RunLock } from '../../src/runs/lock.js';
import { recoverPredictions } from '../../src/runs/recover.js';
import { tempDir } from '../helpers/paths.js';

describe('recovering predictions.jsonl', () => {
  it('drops a torn last line and truncates the file to the last whole line', async () => {
    const file = path.join(tempDir(), 'predictions.jsonl');
    writeFileSync(file, '{"id":"1","prediction":"a"}\n{"id":"2","prediction":"b"}\n');
    appendFileSync(file, '{"id":"3","predic');
    const r = await recoverPredictions(file);
    expect([...r.ids]).toEqual(['1', '2']);
    expect(r.tornBytes).toBe(17);
    expect(readFileSync(file, 'utf8').endsWith('"b"}\n')).toBe(true);
  });

  it('refuses damage that is not a torn tail, and duplicate ids', async () => {
    const file = path.join(tempDir(), 'predictions.jsonl');
    writeFileSync(file, '{"id":"1"}\nnot json\n{"id":"2"}\n');
    expect(((await recoverPredictions(file).catch((e: unknown) => e)) as XfError).code).toBe('E_RUN_CORRUPT');
    writeFileSync(file, '{"id":"1"}\n{"id":"1"}\n');
    expect(((await recoverPredictions(file).catch((e: unknown) => e)) as XfError).code).toBe('E_RUN_CORRUPT');
  });
});

describe('run lock', () => {
  it('refuses a second live writer and takes over a stale lock', () => {
    const dir = tempDir();
    const lock = RunLock.acquire(dir);
    // our own pid is alive: a lock file naming another live process must be refused
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid, host: hostname(), startedAt: 'then' }));
    const err = (() => { try { RunLock.acquire(dir); return undefined; } catch (e) { return e as XfError; } })();
    expect(err?.code).toBe('E_RUN_LOCKED');
    // a lock left by a process that is gone is stale
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), startedAt: 'then' }));
    const taken = RunLock.acquire(dir);
    taken.release();
    lock.release();
  });
});
