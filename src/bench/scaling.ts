import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../lib/package-root.js';
import type { Measure } from './bench-python.js';
import { syntheticGqa } from './synthetic.js';

const BIN = path.join(packageRoot(), 'bin/run.js');

/**
 * The data path at scale (`npm run bench -- --scale-only` alone): score at 1k … 1M questions, then the
 * readers of each finished run (upgrade, report as a table and as HTML, compare against its --raw
 * twin) with time and peak RSS, the model path up to 100k, compare of two 100k-question runs, and
 * the start-up of --help.
 */
export async function scalingFigures(
  work: string,
  quick: boolean,
  figures: Record<string, unknown>,
  measure: Measure,
  log: (s: string) => void,
): Promise<void> {
  // 4. scaling: the data path (score: stream, validate, score, write, aggregate) at 1k..1M, and the model
  // path (run) up to 100k (about two minutes; 10k with --quick)
  const sizes = quick ? [1_000, 10_000, 100_000] : [1_000, 10_000, 100_000, 1_000_000];
  const scaling: Array<Record<string, unknown>> = [];
  let runs100k: string[] = [];
  for (const n of sizes) {
    const set = syntheticGqa(n, path.join(work, `gqa-${n}`));
    const out = path.join(work, `score-${n}`);
    const m = measure(['score', 'gqa', '--data', set.dir, '--predictions', set.predictions, '--out', out, '--json']);
    scaling.push({
      path: 'score',
      questions: n,
      seconds: m.seconds,
      peakRssMb: m.maxRssMb,
      ok: m.status === 0,
      ...(m.status === 0 ? {} : { error: m.stderr.trim().split('\n').pop() }),
    });
    log(
      `score ${n} questions: ${m.seconds.toFixed(2)} s, peak RSS ${m.maxRssMb.toFixed(0)} MB${m.status === 0 ? '' : ` (FAILED: ${m.stderr.trim().split('\n').pop()})`}`,
    );
    if (m.status === 0) {
      // the readers of a finished run, at every size: report (table and HTML) stream it, compare pairs two
      const second = path.join(work, `score-${n}-raw`);
      const m2 = measure(['score', 'gqa', '--data', set.dir, '--predictions', set.predictions, '--out', second, '--raw', '--json']);
      if (m2.status === 0 && n === 100_000) runs100k = [out, second];
      const readers: Array<[string, string[]]> = [
        // results.parquet written again from the log, as for a run of an older xfbench
        ['upgrade', ['upgrade', out, '--force']],
        ['report', ['report', out]],
        ['report-html', ['report', out, '--format', 'html', '--output', path.join(work, `report-${n}.html`)]],
        ...(m2.status === 0 ? [['compare', ['compare', out, second, '--json']] as [string, string[]]] : []),
      ];
      for (const [name, args] of readers) {
        const r = measure(args);
        scaling.push({ path: name, questions: n, seconds: r.seconds, peakRssMb: r.maxRssMb, ok: r.status === 0 });
        log(`${name} ${n} questions: ${r.seconds.toFixed(2)} s, peak RSS ${r.maxRssMb.toFixed(0)} MB${r.status === 0 ? '' : ' (FAILED)'}`);
      }
      if (n !== 100_000) rmSync(second, { recursive: true, force: true });
    }
    if (n <= (quick ? 10_000 : 100_000)) {
      const runOut = path.join(work, `run-${n}`);
      const mr = measure(['run', 'gqa', '--data', set.dir, '--out', runOut, '--device', 'cpu', '--json']);
      scaling.push({ path: 'run', questions: n, seconds: mr.seconds, peakRssMb: mr.maxRssMb, ok: mr.status === 0 });
      log(`run ${n} questions: ${mr.seconds.toFixed(2)} s, peak RSS ${mr.maxRssMb.toFixed(0)} MB`);
    }
    rmSync(set.dir, { recursive: true, force: true });
  }
  figures['scaling'] = {
    points: scaling,
    target: 'time linear; score, report and compare RSS flat from 10k to 1M questions, <= 300 MB at 1M',
  };

  // 5. compare of two 100k-question runs
  if (runs100k.length === 2) {
    const m = measure(['compare', runs100k[0]!, runs100k[1]!, '--json']);
    figures['compare100k'] = { seconds: m.seconds, peakRssMb: m.maxRssMb, ok: m.status === 0, target: '< 1 s' };
    log(`compare two 100k-question runs: ${m.seconds.toFixed(2)} s (target < 1 s)`);
  }

  // 6. start-up
  const helps: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    helps.push(performance.now() - t);
  }
  helps.sort((a, b) => a - b);
  figures['helpStartupMs'] = { median: helps[2], min: helps[0], target: '< 200 ms' };
  log(`xfbench --help: median ${helps[2]!.toFixed(0)} ms (target < 200 ms)`);
}
