import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CLUSTERED_NULL, runCalibration, runGateCalibration, UNCLUSTERED } from '../../src/bench/calibration.js';
import { smallSampleFigure } from '../../src/bench/small-sample-calibration.js';
import { gateSchema } from '../../src/compare/gate.js';
import path from 'node:path';
import { ROOT } from '../helpers/paths.js';

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

describe('the shipped example gate on gqa-mini-shaped comparisons (the bench runs more)', () => {
  const gate = gateSchema.parse(JSON.parse(readFileSync(path.join(ROOT, 'examples/ci/gate.json'), 'utf8')));
  const base = { drop: 5, seed: 29, iterations: 200 };

  it('rarely fails when nothing changed, even when each image favours one model (the old gate failed 39-75%)', async () => {
    const r = await runGateCalibration(gate, { ...base, nullRuns: 40, dropRuns: 0, imageFavour: CLUSTERED_NULL.imageFavour });
    expect(r.falseFailRate).toBeLessThanOrEqual(0.1);
  }, 120_000);

  it('catches a true 5-point drop most of the time', async () => {
    const r = await runGateCalibration(gate, { ...base, nullRuns: 0, dropRuns: 30, imageFavour: 0 });
    expect(r.power).toBeGreaterThanOrEqual(0.75);
  }, 120_000);
});

describe('the paired test and its interval on few images', () => {
  it.each([8, 25])('keep their level at %i images under a clustered null, and cover a true Δ', (images) => {
    const f = smallSampleFigure('clustered', images, 1500);
    expect(f.pBelowAlpha).toBeLessThanOrEqual(0.08);
    expect(f.intervalExcludesZero).toBeLessThanOrEqual(0.08);
    expect(f.coverage).toBeGreaterThanOrEqual(0.92);
    // "no change" and non-inferiority at their boundaries (a true Δ of the margin; a true drop of maxDrop)
    expect(f.noChangeError).toBeLessThanOrEqual(0.05);
    expect(f.nonInferiorError).toBeLessThanOrEqual(0.07);
  });

  it('keep their level at 25 images under a skewed null, and on VQA-style soft scores', () => {
    const skewed = smallSampleFigure('skewed', 25, 1500);
    expect(skewed.pBelowAlpha).toBeLessThanOrEqual(0.08);
    expect(skewed.intervalExcludesZero).toBeLessThanOrEqual(0.08);
    const soft = smallSampleFigure('soft-scores', 8, 1500);
    expect(soft.intervalExcludesZero).toBeLessThanOrEqual(0.08);
    expect(soft.coverage).toBeGreaterThanOrEqual(0.92);
  });

  it('cover a true 1-point Δ when the runs rarely disagree (the sign-flip inversion alone covered 51% at 8 images, 89% at 25)', () => {
    for (const images of [8, 25])
      expect(smallSampleFigure('sparse', images, 1500).coverage, `${images} images`).toBeGreaterThanOrEqual(0.93);
  });

  it.each([1, 3])('never show non-inferiority on %i image(s)', (images) => {
    expect(smallSampleFigure('clustered', images, 500).nonInferiorPasses).toBe(0);
    expect(smallSampleFigure('skewed', images, 500).nonInferiorPasses).toBe(0);
  });
});
