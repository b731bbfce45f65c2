import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync, serveCli, type ServingCli } from '../helpers/cli.js';
import { BUNDLES, ROOT, tempDir, writeSuiteFile } from '../helpers/paths.js';
import { bundledRun } from '../helpers/shared-results.js';

interface Line {
  id: string;
  prediction: string;
  error?: { code: string; message: string };
}

function lines(dir: string): Line[] {
  return readFileSync(path.join(dir, 'predictions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
}

const byId = (ls: Line[]) => new Map(ls.map((l) => [l.id, l.prediction]));

/** Every file under `dir`, for a search of what a run left on disk. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

const LIMIT = '300';

describe('a served bundle: xfbench serve, and run --model openai:URL through it', () => {
  let server: ServingCli;
  beforeAll(async () => {
    server = await serveCli([BUNDLES.xformer, '--threads', '1']);
  }, 60_000);
  afterAll(async () => {
    expect(await server?.stop()).toBe(0); // SIGTERM stops it cleanly
  });

  it('gives the local run its answers, question by question', async () => {
    const local = await bundledRun('xformer', 'gqa');
    const out = path.join(tempDir('xfbench-served-'), 'run');
    const r = await runCliAsync([
      'run',
      'gqa',
      '--model',
      `openai:${server.url}`,
      '--limit',
      LIMIT,
      '--concurrency',
      '4',
      '--out',
      out,
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const served = lines(out);
    expect(served).toHaveLength(Number(LIMIT));
    const want = byId(lines(local.out));
    expect(served.filter((l) => l.error)).toEqual([]);
    expect(served.filter((l) => want.get(l.id) !== l.prediction)).toEqual([]);
    const record = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
    expect(record.bundle).toBeNull();
    expect(record.endpoint).toMatchObject({
      url: server.url,
      model: 'xf-tiny-xformer', // the first the server lists
      reportedModel: 'xf-tiny-xformer',
      requests: { sent: Number(LIMIT), retried: 0, failed: 0 },
    });
    expect(record.endpoint.tokens.completion).toBeGreaterThan(0);
    expect(JSON.parse(r.stdout).bundle).toBe('xf-tiny-xformer');
  }, 120_000);

  it('runs a suite through it', async () => {
    const dir = tempDir('xfbench-served-suite-');
    const suite = path.join(dir, 'suite.json');
    writeSuiteFile(suite, 'served', [
      { dataset: 'gqa', limit: 15 },
      { dataset: 'pope', limit: 15 },
    ]);
    const out = path.join(dir, 'out');
    const r = await runCliAsync(['suite', 'run', suite, '--model', `openai:${server.url}`, '--out', out, '--json']);
    expect(r.status).toBe(0);
    const record = JSON.parse(readFileSync(path.join(out, 'suite.json'), 'utf8'));
    expect(record.bundle).toMatchObject({ name: 'xf-tiny-xformer', endpoint: server.url });
    expect(record.members.map((m: { questions: number }) => m.questions)).toEqual([15, 15]);
  }, 60_000);

  it('refuses to continue a run against another model', async () => {
    const out = path.join(tempDir('xfbench-served-'), 'run');
    expect((await runCliAsync(['run', 'gqa', '--model', `openai:${server.url}`, '--limit', '5', '--out', out])).status).toBe(0);
    const again = await runCliAsync([
      'run',
      'gqa',
      '--model',
      `openai:${server.url}`,
      '--endpoint-model',
      'other',
      '--limit',
      '5',
      '--out',
      out,
    ]);
    expect(again.status).toBe(2);
    expect(again.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^xfbench: error E_RESUME_MISMATCH .*run\.json \(endpoint\): cannot continue this run: it was started against xf-tiny-xformer at http/,
      ),
    ]);
  }, 60_000);
});

describe('an API key', () => {
  it('reaches the server and appears nowhere on disk or in the output', async () => {
    const key = 'sk-test-9f2c1d0e7b5a43e8a1c6';
    const env = { XF_TEST_KEY: key };
    const server = await serveCli([BUNDLES.clip, '--threads', '1', '--api-key-env', 'XF_TEST_KEY'], { env });
    try {
      const dir = tempDir('xfbench-key-');
      const out = path.join(dir, 'run');
      const base = ['run', 'gqa', '--model', `openai:${server.url}`, '--limit', '20', '--out'];
      const r = await runCliAsync([...base, out, '--api-key-env', 'XF_TEST_KEY'], { env });
      expect(r.status).toBe(0);
      expect(lines(out).filter((l) => l.error)).toEqual([]);
      // without the key: the server says 401, which no retry mends, and each question is an error row
      const refused = path.join(dir, 'refused');
      const n = await runCliAsync([...base, refused, '--endpoint-model', 'xf-tiny-clip']);
      expect(n.status).toBe(0);
      expect(new Set(lines(refused).map((l) => l.error?.code))).toEqual(new Set(['E_ENDPOINT_HTTP']));
      expect(lines(refused)[0]!.error!.message).toMatch(/HTTP 401.*\(1 try\)$/);
      const found = filesUnder(dir).filter((f) => readFileSync(f).includes(key));
      expect(found).toEqual([]);
      expect(r.stdout + r.stderr + n.stdout + n.stderr).not.toContain(key);
      const record = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
      expect(record.endpoint.settings.apiKeyEnv).toBe('XF_TEST_KEY');
    } finally {
      await server.stop();
    }
  }, 120_000);
});

/**
 * A server that misbehaves on purpose, on the loopback: the first requests get 429 with Retry-After,
 * a 500, a connection reset, a hang past the client's timeout, a body that is not JSON and a 503;
 * every later request the answer "yes". `failFirst` requests fail (500) instead, for the resume test.
 */
async function faultyServer(plan: 'faults' | { failFirst: number }, opts: { model?: string; port?: number } = {}) {
  let count = 0;
  const faults: ((res: ServerResponse, req: IncomingMessage) => void)[] =
    plan === 'faults'
      ? [
          (res) => res.writeHead(429, { 'retry-after': '1' }).end('{"error":{"message":"slow down"}}'),
          (res) => res.writeHead(500).end('{"error":{"message":"boom"}}'),
          (_res, req) => req.socket.destroy(),
          () => undefined, // never answers
          (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('<html>not json</html>'),
          (res) => res.writeHead(503).end(),
        ]
      : Array.from({ length: plan.failFirst }, () => (res: ServerResponse) => res.writeHead(500).end('{"error":{"message":"down"}}'));
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const fault = faults[count++];
      if (fault) return fault(res, req);
      const body = JSON.stringify({
        model: opts.model ?? 'faulty-1',
        choices: [{ index: 0, message: { role: 'assistant', content: 'yes' } }],
        usage: { prompt_tokens: 3, completion_tokens: 1 },
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return {
    url,
    requests: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve(server.closeAllConnections()))),
  };
}

const PATIENT = ['--endpoint-model', 'faulty', '--request-timeout', '1', '--retry-backoff', '20'];

describe('a misbehaving server', () => {
  it('gets every question answered through 429, 500, a reset, a hang and garbage', async () => {
    const server = await faultyServer('faults');
    try {
      const out = path.join(tempDir('xfbench-faults-'), 'run');
      const r = await runCliAsync([
        'run',
        'gqa',
        '--model',
        `openai:${server.url}`,
        ...PATIENT,
        '--limit',
        '40',
        '--concurrency',
        '4',
        '--out',
        out,
      ]);
      expect(r.status).toBe(0);
      const got = lines(out);
      expect(got).toHaveLength(40);
      expect(got.filter((l) => l.error)).toEqual([]);
      expect(new Set(got.map((l) => l.prediction))).toEqual(new Set(['yes']));
      const record = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
      expect(record.endpoint.requests).toEqual({ sent: 46, retried: 6, failed: 0, rateLimited: 1, lowestConcurrency: 2 });
      expect(record.endpoint.reportedModel).toBe('faulty-1');
    } finally {
      await server.close();
    }
  }, 60_000);

  it('writes error rows when retries run out, and a resumed run asks again', async () => {
    const server = await faultyServer({ failFirst: 3 });
    try {
      const out = path.join(tempDir('xfbench-faults-'), 'run');
      const args = [
        'run',
        'gqa',
        '--model',
        `openai:${server.url}`,
        ...PATIENT,
        '--max-retries',
        '0',
        '--concurrency',
        '1',
        '--limit',
        '10',
        '--out',
        out,
      ];
      const first = await runCliAsync(args);
      expect(first.status).toBe(0);
      expect(first.stderr).toMatch(/3 samples failed \(E_ENDPOINT_HTTP ×3\)/);
      const second = await runCliAsync(args);
      expect(second.status).toBe(0);
      expect(second.stderr).toMatch(/3 that had failed tried again/);
      const record = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
      expect(record.errors.count).toBe(0);
      expect(record.dataset.evaluated).toBe(10);
      // both sessions' requests: ten answered and three failed the first time, three asked again
      expect(record.endpoint.requests).toMatchObject({ sent: 13, failed: 3 });
    } finally {
      await server.close();
    }
  }, 60_000);
});

describe('a server that changes models behind one name', () => {
  it('is refused when a run continues', async () => {
    // two questions fail the first time, so that the run has something left to ask
    const first = await faultyServer({ failFirst: 2 });
    const out = path.join(tempDir('xfbench-swap-'), 'run');
    const args = [
      'run',
      'gqa',
      '--model',
      `openai:${first.url}`,
      '--endpoint-model',
      'faulty',
      '--max-retries',
      '0',
      '--limit',
      '5',
      '--out',
      out,
    ];
    expect((await runCliAsync(args)).status).toBe(0);
    await first.close();
    const second = await faultyServer({ failFirst: 0 }, { model: 'faulty-2', port: Number(new URL(first.url).port) });
    try {
      const r = await runCliAsync(args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/E_RESUME_MISMATCH .*the server now answers as faulty-2; the run was started with faulty-1/);
    } finally {
      await second.close();
    }
  }, 60_000);
});

describe('a served run killed with SIGKILL and resumed', () => {
  it('equals an uninterrupted one', async () => {
    const server = await serveCli([BUNDLES.xformer, '--threads', '1']);
    try {
      const dir = tempDir('xfbench-served-kill-');
      const args = (out: string) => ['run', 'gqa', '--model', `openai:${server.url}`, '--limit', '200', '--concurrency', '2', '--out', out];
      const whole = path.join(dir, 'whole');
      expect((await runCliAsync(args(whole))).status).toBe(0);
      const killed = path.join(dir, 'killed');
      const file = path.join(killed, 'predictions.jsonl');
      const child = spawn(process.execPath, [path.join(ROOT, 'bin/run.js'), ...args(killed)], { stdio: 'ignore' });
      const signal = await new Promise<NodeJS.Signals | null>((resolve) => {
        const poll = setInterval(() => {
          if (existsSync(file) && readFileSync(file, 'utf8').split('\n').length > 60) child.kill('SIGKILL');
        }, 5);
        child.on('exit', (_code, sig) => {
          clearInterval(poll);
          resolve(sig);
        });
      });
      expect(signal).toBe('SIGKILL');
      const resumed = await runCliAsync(args(killed));
      expect(resumed.status).toBe(0);
      expect(resumed.stderr).toMatch(/continued a run: \d+ predictions kept/);
      const a = lines(whole);
      const b = lines(killed);
      expect(b).toHaveLength(a.length);
      expect(byId(b)).toEqual(byId(a));
      const results = (d: string) => JSON.parse(readFileSync(path.join(d, 'run.json'), 'utf8')).metrics;
      expect(results(killed)).toEqual(results(whole));
    } finally {
      await server.stop();
    }
  }, 120_000);
});
