import { describe, expect, it } from 'vitest';
import { CLUSTERED_NULL, runCalibration, UNCLUSTERED } from '../../src/bench/calibration.js';

// Simulated pairs of runs on gqa-mini's real questions and images (src/bench/calibration.ts). The
// figures for the docs come from `npm run bench`, with more runs; these keep the promise in CI.
describe('compare keeps its error rates when questions cluster by image', () => {
  it('holds the row-wise and family-wise false-positive rates under a clustered null, where McNemar does not', async () => {
    const r = await runCalibration({ ...CLUSTERED_NULL, nullRuns: 150, gainRuns: 0, iterations: 300 });
    // the scenario is one that breaks a test ignoring the clustering...
    expect(r.rowFalsePositiveRateMcNemar).toBeGreaterThan(0.07);
    // ...and ours keeps its level
    expect(r.rowFalsePositiveRate).toBeGreaterThanOrEqual(0.02);
    expect(r.rowFalsePositiveRate).toBeLessThanOrEqual(0.07);
    for (const [family, rate] of Object.entries(r.familyWiseRate)) expect(rate, family).toBeLessThanOrEqual(0.075);
  }, 120_000);

  it('finds a true 5-point gain on the whole set nearly always, and on a 1,000-question category often', async () => {
    const r = await runCalibration({ ...UNCLUSTERED, nullRuns: 0, gainRuns: 50, iterations: 300 });
    expect(r.powerRowSizes['semantic/attr']).toBeGreaterThan(1000);
    expect(r.power['overall']).toBeGreaterThanOrEqual(0.9);
    expect(r.power['semantic/attr']).toBeGreaterThanOrEqual(0.4);
  }, 120_000);
});
