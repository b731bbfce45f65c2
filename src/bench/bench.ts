/**
 * `npm run bench`: speed and memory figures from one invocation on one machine, printed as a table
 * and (with --json) as JSON, so they can be gated like accuracy. Not a test: these machines are noisy.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { packageRoot } from '../lib/package-root.js';
import { blip2Shapes } from './blip2-shapes.js';
import { calibration } from './calibration-figures.js';
import { scalingFigures } from './scaling.js';
import { serveThroughput } from './serve-throughput.js';
import { atScaleTargets, targetLines } from './at-scale-targets.js';

const ROOT = packageRoot();
const MEASURE = path.join(ROOT, 'dist/bench/measure-child.js');

interface Measured {
  seconds: number;
  maxRssMb: number;
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in a child that reports its own peak RSS. */
function measure(args: string[]): Measured {
  const stats = path.join(tmpdir(), `xfbench-bench-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  const t = performance.now();
  const r = spawnSync(process.execPath, [MEASURE, stats, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 1 << 28,
  });
  const seconds = (performance.now() - t) / 1000;
  let maxRssMb = NaN;
  try {
    maxRssMb = (JSON.parse(readFileSync(stats, 'utf8')) as { maxRSS: number }).maxRSS / 1024;
    rmSync(stats);
  } catch {
    /* child died before writing its stats */
  }
  return { seconds, maxRssMb, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function runJson(dir: string): { timings: Record<string, number>; dataset: { evaluated: number }; config: Record<string, unknown> } {
  return JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8'));
}

function python(args: string[]): { questions: number; seconds: number } | { error: string } {
  const r = spawnSync('/usr/bin/python3', [path.join(ROOT, 'modelzoo/bench_naive.py'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  if (r.status !== 0) return { error: (r.stderr || 'python failed').trim().split('\n').pop()! };
  return JSON.parse(r.stdout) as { questions: number; seconds: number };
}

/**
 * Issue 23's fast-defaults check: a plain `run gqa` against `--threads 1..cores`, alternated three times so
 * that drift in the machine's speed falls on every setting alike; the best of three per setting (single runs of one setting spread by ±15% here).
 */
function defaultsAgainstExplicit(work: string, measure: (args: string[]) => Measured, log: (s: string) => void): Record<string, unknown> {
  const settings: Array<[string, string[]]> = [
    ['plain', []],
    ...Array.from({ length: cpus().length }, (_, i) => [`--threads ${i + 1}`, ['--threads', String(i + 1)]] as [string, string[]]),
  ];
  const best = new Map<string, number>();
  for (let round = 0; round < 3; round++) {
    for (const [name, extra] of settings) {
      const out = path.join(work, `defaults-${round}-${name.replace(/\W+/g, '')}`);
      const m = measure(['run', 'gqa', '--out', out, '--device', 'cpu', '--json', ...extra]);
      if (m.status !== 0) return { error: `xfbench run ${name}: ${m.stderr.trim()}` };
      const r = runJson(out);
      const qps = r.dataset.evaluated / (r.timings['evaluateMs']! / 1000);
      best.set(name, Math.max(best.get(name) ?? 0, qps));
      rmSync(out, { recursive: true, force: true });
    }
  }
  const explicit = [...best].filter(([name]) => name !== 'plain');
  const [bestName, bestQps] = explicit.reduce((a, b) => (b[1] > a[1] ? b : a));
  const plain = best.get('plain')!;
  log(
    `defaults: plain run ${plain.toFixed(0)} q/s; ${explicit.map(([n, q]) => `${n} ${q.toFixed(0)}`).join(', ')} q/s; plain / best (${bestName}) = ${(plain / bestQps).toFixed(3)} (target >= 0.95)`,
  );
  return {
    questionsPerSecond: Object.fromEntries(best),
    best: bestName,
    plainOverBest: plain / bestQps,
    target: 'plain >= 0.95 x the best explicit setting',
  };
}

/** Issue 35's figures against their targets, at the end of the output and in the JSON. */
function reportTargets(figures: Record<string, unknown>, log: (s: string) => void): void {
  const rows = atScaleTargets(figures);
  figures['targets'] = rows;
  for (const line of targetLines(rows)) log(line);
}

export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const quick = argv.includes('--quick'); // skip the 1M-question scaling point (about 1 GB of temporary files) and the 100k run
  const work = path.join(tmpdir(), `xfbench-bench-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const figures: Record<string, unknown> = {
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
  };
  const log = (s: string) => {
    if (!json) console.log(s);
  };
  const valueOf = (flag: string, fallback: string) => (argv.includes(flag) ? (argv[argv.indexOf(flag) + 1] ?? fallback) : fallback);
  const blip2Options = {
    quick,
    full: argv.includes('--full'),
    device: valueOf('--device', 'cpu'),
    torchDevice: valueOf('--torch-device', 'cpu'),
  };
  if (argv.includes('--blip2-only')) {
    figures['blip2Shapes'] = await blip2Shapes(path.join(work, 'blip2'), blip2Options, measure, log);
    rmSync(work, { recursive: true, force: true });
    if (json) console.log(JSON.stringify(figures, null, 2));
    return;
  }
  if (argv.includes('--defaults-only')) {
    figures['defaults'] = defaultsAgainstExplicit(work, measure, log);
    rmSync(work, { recursive: true, force: true });
    if (json) console.log(JSON.stringify(figures, null, 2));
    return;
  }
  if (argv.includes('--scale-only')) {
    await scalingFigures(work, quick, figures, measure, log);
    reportTargets(figures, log);
    rmSync(work, { recursive: true, force: true });
    if (json) console.log(JSON.stringify(figures, null, 2));
    return;
  }
  if (argv.includes('--serve-only')) {
    figures['serve'] = await serveThroughput(work, measure, log);
    rmSync(work, { recursive: true, force: true });
    if (json) console.log(JSON.stringify(figures, null, 2));
    return;
  }
  if (argv.includes('--calibration-only')) {
    await calibration(figures, log);
    if (json) console.log(JSON.stringify(figures, null, 2));
    return;
  }

  // 0. the plain run against every explicit thread count this machine allows, in the same invocation
  figures['defaults'] = defaultsAgainstExplicit(work, measure, log);

  // 1-2. throughput of `xfbench run` on gqa-mini (default batch size, and batch 1 for reference), and
  // the compute floor measured inside the same process
  for (const bundle of ['xf-tiny-clip', 'xf-tiny-xformer']) {
    const runOnce = (batch: string | undefined) => {
      const out = path.join(work, `run-${bundle}-${batch ?? 'default'}`);
      const m = measure([
        'run',
        'gqa',
        '--model',
        path.join(ROOT, 'fixtures/models', bundle),
        '--out',
        out,
        '--device',
        'cpu',
        '--json',
        ...(batch ? ['--batch-size', batch] : []),
      ]);
      if (m.status !== 0) throw new Error(`xfbench run failed: ${m.stderr}`);
      const r = runJson(out);
      const evalSeconds = r.timings['evaluateMs']! / 1000;
      const floor = r.timings['sessionRunMs']! / 1000;
      return {
        batchSize: r.config['batchSize'],
        questions: r.dataset.evaluated,
        wallSeconds: m.seconds,
        evaluateSeconds: evalSeconds,
        questionsPerSecond: r.dataset.evaluated / evalSeconds,
        computeFloorSeconds: floor,
        sessionRunCalls: r.timings['sessionRunCalls'],
        wallOverFloor: evalSeconds / floor,
        target: 'wall / floor <= 1.10',
        peakRssMb: m.maxRssMb,
      };
    };
    const f = runOnce(undefined);
    const one = runOnce('1');
    figures[bundle] = {
      ...f,
      batch1: {
        questionsPerSecond: one.questionsPerSecond,
        computeFloorSeconds: one.computeFloorSeconds,
        wallOverFloor: one.wallOverFloor,
      },
    };
    log(
      `${bundle}: ${f.questions} questions in ${f.evaluateSeconds.toFixed(2)} s (${f.questionsPerSecond.toFixed(1)} q/s, batch ${String(f.batchSize)}); floor ${f.computeFloorSeconds.toFixed(2)} s; wall/floor ${f.wallOverFloor.toFixed(3)} (target <= 1.10)`,
    );
    log(`${bundle}: batch 1 for reference: ${one.questionsPerSecond.toFixed(1)} q/s; wall/floor ${one.wallOverFloor.toFixed(3)}`);
  }

  // 3. the naive PyTorch loop on the same questions and weights
  const naiveN = 300;
  for (const bundle of ['xf-tiny-clip', 'xf-tiny-xformer']) {
    const naive = python(['--bundle', bundle, '--questions', String(naiveN)]);
    const ours = figures[bundle] as { questionsPerSecond: number };
    if ('error' in naive) {
      figures[`${bundle}-naive-pytorch`] = { error: naive.error };
      log(`${bundle}: naive PyTorch loop unavailable (${naive.error})`);
      continue;
    }
    const naiveQps = naive.questions / naive.seconds;
    figures[`${bundle}-naive-pytorch`] = {
      questions: naive.questions,
      seconds: naive.seconds,
      questionsPerSecond: naiveQps,
      xfbenchSpeedup: ours.questionsPerSecond / naiveQps,
      target: 'xfbench >= 5x faster',
    };
    log(
      `${bundle}: naive PyTorch ${naiveQps.toFixed(1)} q/s; xfbench is ${(ours.questionsPerSecond / naiveQps).toFixed(2)}x faster (target >= 5x)`,
    );
  }

  // 4-6. scaling of the data path and the readers, compare at 100k, start-up
  await scalingFigures(work, quick, figures, measure, log);

  // 7. issue 36: run through xfbench serve at concurrency 1, 4 and 16, against the local run
  figures['serve'] = await serveThroughput(work, measure, log);

  // 8. a BLIP-2-shaped model against transformers' loops (with --full, an OPT-1.3B-shaped LM for memory)
  figures['blip2Shapes'] = await blip2Shapes(path.join(work, 'blip2'), blip2Options, measure, log);

  await calibration(figures, log);
  reportTargets(figures, log);
  rmSync(work, { recursive: true, force: true });
  if (json) console.log(JSON.stringify(figures, null, 2));
}

await main(process.argv.slice(2));
