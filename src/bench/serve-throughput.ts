import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../lib/package-root.js';
import { startServeProcess } from '../serve/serve-process.js';
import type { Measure } from './bench-python.js';

const CONCURRENCY = [1, 4, 16];

function evaluateSeconds(runDir: string): { questions: number; seconds: number } {
  const r = JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8')) as {
    dataset: { evaluated: number };
    timings: { evaluateMs: number };
  };
  return { questions: r.dataset.evaluated, seconds: r.timings.evaluateMs / 1000 };
}

/**
 * Issue 36's figure: `run` through `xfbench serve` (the bundled tiny X-Former on gqa-mini, both
 * processes on this machine) at concurrency 1, 4 and 16, against the same run done locally. Questions
 * per second are over the evaluation (run.json's evaluateMs), so model loading is left out of both.
 */
export async function serveThroughput(work: string, measure: Measure, log: (s: string) => void): Promise<Record<string, unknown>> {
  const local = path.join(work, 'serve-local');
  const m = measure(['run', 'gqa', '--out', local, '--device', 'cpu', '--json']);
  if (m.status !== 0) return { error: `local run: ${m.stderr.trim()}` };
  const base = evaluateSeconds(local);
  const localQps = base.questions / base.seconds;
  log(`serve: local run ${localQps.toFixed(1)} q/s (${base.questions} questions)`);
  const server = await startServeProcess(path.join(packageRoot(), 'bin/run.js'), ['--device', 'cpu']);
  const points: Record<string, unknown>[] = [];
  try {
    for (const c of CONCURRENCY) {
      const out = path.join(work, `serve-c${c}`);
      const r = measure(['run', 'gqa', '--model', `openai:${server.url}`, '--concurrency', String(c), '--out', out, '--json']);
      if (r.status !== 0) {
        points.push({ concurrency: c, error: r.stderr.trim() });
        continue;
      }
      const s = evaluateSeconds(out);
      const qps = s.questions / s.seconds;
      points.push({
        concurrency: c,
        questions: s.questions,
        questionsPerSecond: qps,
        ofLocal: qps / localQps,
        peakRssMbOfClient: r.maxRssMb,
      });
      log(`serve: through xfbench serve at concurrency ${c}: ${qps.toFixed(1)} q/s (${((100 * qps) / localQps).toFixed(0)}% of local)`);
    }
  } finally {
    await server.stop();
  }
  return { localQuestionsPerSecond: localQps, points };
}
