import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/compare/compare.js';
import { planFromPilot } from '../../src/compare/plan.js';
import { seededRandom } from '../../src/metrics/stats.js';
import { items, syntheticRun } from './helpers.js';

const boot = { seed: 2, iterations: 300 };

/** A pilot on `images` images of 5 questions; `clustered`: each image's questions agree on which model is right. */
async function pilot(images: number, clustered: boolean) {
  const its = items(images * 5, images);
  const rand = seededRandom(images);
  const favour = Array.from({ length: images }, () => rand() < 0.5);
  const rightA = its.map((_, i) => (clustered ? favour[i % images]! : rand() < 0.5));
  const rightB = its.map((_, i) => (clustered ? !favour[i % images]! : rand() < 0.5));
  const a = syntheticRun('A', its, (i) => rightA[i]!);
  const b = syntheticRun('B', its, (i) => rightB[i]!);
  return compareRuns(a, b, { signPatterns: boot, minImages: 1 });
}

describe('xfbench plan: images needed from a pilot comparison', () => {
  it('needs as many images as the pilot has for the Δ the pilot finds now, and four times as many for half of it', async () => {
    const c = await pilot(200, false);
    const overall = planFromPilot(c, { delta: 1, power: 0.8, alpha: 0.05 }).find((r) => r.category === 'overall')!;
    const same = planFromPilot(c, { delta: overall.detectableNow, power: 0.8, alpha: 0.05 }).find((r) => r.category === 'overall')!;
    expect(Math.abs(same.imagesNeeded! - 200)).toBeLessThanOrEqual(1);
    const half = planFromPilot(c, { delta: overall.detectableNow / 2, power: 0.8, alpha: 0.05 }).find((r) => r.category === 'overall')!;
    expect(half.imagesNeeded! / 200).toBeGreaterThan(3.8);
    expect(half.imagesNeeded! / 200).toBeLessThan(4.2);
    expect(half.questionsNeeded).toBe(Math.ceil(half.imagesNeeded! * 5));
  });

  it('counts clustering: when an image decides both models, its five questions are worth one, and the design effect says so', async () => {
    const independent = planFromPilot(await pilot(200, false), { delta: 5, power: 0.8, alpha: 0.05 }).find(
      (r) => r.category === 'overall',
    )!;
    const clustered = planFromPilot(await pilot(200, true), { delta: 5, power: 0.8, alpha: 0.05 }).find((r) => r.category === 'overall')!;
    expect(independent.designEffect!).toBeLessThan(1.5);
    expect(clustered.designEffect!).toBeGreaterThan(4);
    expect(clustered.imagesNeeded!).toBeGreaterThan(3 * independent.imagesNeeded!);
    expect(clustered.discordance).toBe(1);
  });

  it('plans a category row at α over the tests of its family', async () => {
    const rows = planFromPilot(await pilot(200, false), { delta: 5, power: 0.8, alpha: 0.05 });
    expect(rows.find((r) => r.category === 'structural/verify')!.alpha).toBeCloseTo(0.01, 12);
  });
});
