import { describe, expect, it } from 'vitest';
import { byImageInterval } from '../../src/metrics/by-image-interval.js';
import { seededRandom } from '../../src/metrics/stats.js';

/** G images of 1-9 questions, right with probability 0.7 shifted per image (the truth is 0.7 on average over images and questions). */
function images(rand: () => number, G: number): Array<{ sum: number; count: number }> {
  return Array.from({ length: G }, () => {
    const count = 1 + Math.floor(rand() * 9);
    const p = 0.7 + (rand() - 0.5) * 0.4;
    let sum = 0;
    for (let q = 0; q < count; q++) sum += rand() < p ? 1 : 0;
    return { sum, count };
  });
}

describe('the interval by image of a run', () => {
  it.each([8, 25])('covers the truth at about its level on %i images', (G) => {
    const rand = seededRandom(G);
    let covered = 0;
    const runs = 2000;
    for (let r = 0; r < runs; r++) {
      const i = byImageInterval(images(rand, G), true)!;
      if (i.low <= 0.7 && 0.7 <= i.high) covered++;
    }
    expect(covered / runs).toBeGreaterThanOrEqual(0.92);
  });

  it('stays within [0, 1] and is not a point when every answer is right', () => {
    const all = byImageInterval(
      Array.from({ length: 5 }, () => ({ sum: 4, count: 4 })),
      true,
    )!;
    expect(all.high).toBe(1);
    expect(all.low).toBeGreaterThan(0);
    expect(all.low).toBeLessThan(0.9);
  });

  it('uses t with G - 1 degrees of freedom for other means', () => {
    // two images: means 1 and 0 of 2 questions each -> μ 0.5, CR1 variance 2·(1² + 1²)/16 = 0.25, t(1) = 12.706
    const i = byImageInterval(
      [
        { sum: 2, count: 2 },
        { sum: 0, count: 2 },
      ],
      false,
    )!;
    expect(i.method).toBe('cluster-t');
    expect(i.high - 0.5).toBeCloseTo(12.7062047 * 0.5, 5);
  });
});
