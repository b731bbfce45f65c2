import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gateSchema } from '../compare/gate.js';
import { packageRoot } from '../lib/package-root.js';
import { CLUSTERED_NULL, runCalibration, runGateCalibration, UNCLUSTERED } from './calibration.js';
import { smallSampleFigure, type NullShape } from './small-sample-calibration.js';

const pct = (x: number | undefined) => `${(100 * (x ?? NaN)).toFixed(1)}%`;

/** 7. `compare`'s error rates and power on simulated pairs of runs shaped like gqa-mini (docs/scoring.md). */
export async function calibration(figures: Record<string, unknown>, log: (s: string) => void): Promise<void> {
  const t = performance.now();
  const clustered = await runCalibration(CLUSTERED_NULL);
  const unclustered = await runCalibration(UNCLUSTERED);
  figures['compareCalibration'] = {
    clusteredNull: clustered,
    noImageFavour: unclustered,
    seconds: (performance.now() - t) / 1000,
    target: 'row-wise false positives 2-7%, family-wise <= 7.5%, 5-point gain on ~1,000 questions found >= 50%',
  };
  for (const [name, r] of [
    ['clustered (each image favours a model)', clustered],
    ['no per-image favour', unclustered],
  ] as const) {
    log(
      `compare calibration, ${name}: row-wise false positives ${pct(r.rowFalsePositiveRate)} (McNemar on the same rows ${pct(r.rowFalsePositiveRateMcNemar)}); family-wise ${Object.entries(
        r.familyWiseRate,
      )
        .map(([f, v]) => `${f} ${pct(v)}`)
        .join(', ')}`,
    );
    log(
      `  power for a 5-point gain: ${Object.entries(r.power)
        .map(([row, v]) => `${row} (${r.powerRowSizes[row]} q) ${pct(v)}`)
        .join(', ')}`,
    );
  }
  await exampleGate(figures, log);
  smallSamples(figures, log);
}

/** The shipped example gate on gqa-mini-shaped comparisons: how often it fails on noise, and how often it catches a true 5-point drop. */
async function exampleGate(figures: Record<string, unknown>, log: (s: string) => void): Promise<void> {
  const file = path.join(packageRoot(), 'examples/ci/gate.json');
  const gate = gateSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  const base = { drop: 5, seed: 23, iterations: 400 };
  const clustered = await runGateCalibration(gate, { ...base, nullRuns: 300, dropRuns: 150, imageFavour: CLUSTERED_NULL.imageFavour });
  const unclustered = await runGateCalibration(gate, { ...base, nullRuns: 300, dropRuns: 150, imageFavour: 0 });
  figures['exampleGate'] = { clustered, noImageFavour: unclustered, target: 'fails <= 10% of nulls, >= 80% of true 5-point drops' };
  for (const [name, r] of [
    ['clustered', clustered],
    ['no per-image favour', unclustered],
  ] as const)
    log(`example gate (examples/ci/gate.json), ${name}: fails ${pct(r.falseFailRate)} of nulls, ${pct(r.power)} of true 5-point drops`);
}

/** The test, its interval and non-inferiority on few images, under symmetric, skewed and soft-score nulls. */
function smallSamples(figures: Record<string, unknown>, log: (s: string) => void): void {
  const rows = [];
  for (const shape of ['clustered', 'sparse', 'skewed', 'soft-scores'] as NullShape[]) {
    for (const images of [1, 3, 8, 15, 25]) {
      const f = smallSampleFigure(shape, images, 4000);
      rows.push(f);
      const shifted =
        f.coverage === undefined
          ? ''
          : `, covers a true ${shape === 'sparse' ? 1 : 10}-point Δ ${pct(f.coverage)}, "no change" at that Δ ${pct(f.noChangeError)}, ` +
            `non-inferior at a true drop of maxDrop ${pct(f.nonInferiorError)}`;
      log(
        `few images, ${shape} null, ${images} images: p < .05 ${pct(f.pBelowAlpha)}, interval excludes 0 ${pct(f.intervalExcludesZero)}, ` +
          `non-inferior at Δ 0 ${pct(f.nonInferiorPasses)}${shifted}`,
      );
    }
  }
  figures['fewImages'] = {
    rows,
    target: 'p < .05 and interval excluding 0 <= 8% at 8 and 25 images; non-inferiority never shown on 1 or 3 images',
  };
}
