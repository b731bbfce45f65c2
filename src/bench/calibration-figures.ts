import { CLUSTERED_NULL, runCalibration, UNCLUSTERED } from './calibration.js';

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
  const pct = (x: number | undefined) => `${(100 * (x ?? NaN)).toFixed(1)}%`;
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
}
