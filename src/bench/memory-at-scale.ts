import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildRandomCheckpoint, gqaRunArgs, type Measure } from './bench-python.js';

/** BLIP-2's published sizes (total parameters, the BLIP-2 paper's Table 1), for the memory estimates. */
const PUBLISHED = { 'blip2-opt-2.7b': 3.8e9, 'blip2-opt-6.7b': 7.8e9, 'blip2-flan-t5-xl': 4.1e9, 'blip2-flan-t5-xxl': 12.1e9 };

export interface MemoryRun {
  bundleBytes: number;
  peakRssMb: number;
  questionsPerSecond: number;
}

/** One bundle on the questions with `numBeams`: peak RSS and speed. */
function memoryRun(
  measure: Measure,
  bundle: string,
  data: string,
  out: string,
  numBeams: number,
  bundleBytes: number,
): MemoryRun | { error: string } {
  const run = measure(gqaRunArgs(data, bundle, out, 'cpu', numBeams));
  if (run.status !== 0) return { error: run.stderr.trim() };
  const t = (JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as { timings: Record<string, number> }).timings;
  return { bundleBytes, peakRssMb: run.maxRssMb, questionsPerSecond: t['questionsThisSession']! / (t['evaluateMs']! / 1000) };
}

/**
 * `--full`: the same vision side with an OPT-1.3B-shaped LM (its decoder's weights in external data),
 * in fp32 and fp16; with the BLIP-2-base point, a line through peak RSS against bundle bytes gives what
 * the published checkpoints need.
 */
export async function memoryAtScale(
  python: string,
  work: string,
  corpus: string,
  data: string,
  base: MemoryRun,
  measure: Measure,
  log: (s: string) => void,
): Promise<Record<string, unknown>> {
  const checkpoint = path.join(work, 'checkpoint-opt1.3b');
  const built = buildRandomCheckpoint(python, checkpoint, 'blip2-opt1.3b', corpus);
  if (!built.ok) return { error: `building the checkpoint: ${built.error}` };
  const runs: Record<string, unknown> = {};
  let fp32: MemoryRun | undefined;
  for (const dtype of ['fp32', 'fp16'] as const) {
    const bundle = path.join(work, `bundle-opt1.3b-${dtype}`);
    const converted = measure(['convert', checkpoint, '--out', bundle, '--dtype', dtype, '--json']);
    if (converted.status !== 0) return { error: `convert: ${converted.stderr.trim()}` };
    const { seconds, bytes } = JSON.parse(converted.stdout) as { seconds: number; bytes: number };
    const greedy = memoryRun(measure, bundle, data, path.join(work, `run-opt1.3b-${dtype}-greedy`), 1, bytes);
    const beams = dtype === 'fp32' ? memoryRun(measure, bundle, data, path.join(work, `run-opt1.3b-${dtype}-beams`), 5, bytes) : undefined;
    runs[dtype] = { convertSeconds: seconds, bundleBytes: bytes, greedy, beams };
    if (dtype === 'fp32' && !('error' in greedy)) fp32 = greedy;
    log(
      `OPT-1.3B shape, ${dtype}: converted in ${seconds.toFixed(0)} s (${(bytes / 2 ** 30).toFixed(2)} GiB); peak RSS greedy ${'error' in greedy ? greedy.error : `${(greedy.peakRssMb / 1024).toFixed(2)} GiB`}${beams && !('error' in beams) ? `, 5 beams ${(beams.peakRssMb / 1024).toFixed(2)} GiB` : ''}`,
    );
  }
  if (!fp32) return { runs };
  // peak RSS = fixed + per-byte x bundle bytes, through the two fp32 greedy points
  const perByte = (fp32.peakRssMb - base.peakRssMb) / ((fp32.bundleBytes - base.bundleBytes) / 2 ** 20);
  const fixedMb = base.peakRssMb - perByte * (base.bundleBytes / 2 ** 20);
  const estimates = Object.fromEntries(
    Object.entries(PUBLISHED).map(([name, params]) => [
      name,
      { fp32GreedyPeakRssGb: (fixedMb + (perByte * (4 * params)) / 2 ** 20) / 1024 },
    ]),
  );
  log(
    `memory: peak RSS ≈ ${fixedMb.toFixed(0)} MB + ${perByte.toFixed(2)} × bundle bytes (greedy, batch 16); fp32 estimates: ${Object.entries(
      estimates,
    )
      .map(([n, e]) => `${n} ${e.fp32GreedyPeakRssGb.toFixed(1)} GB`)
      .join(', ')}`,
  );
  return { runs, fit: { fixedMb, rssPerBundleByte: perByte }, estimates };
}
