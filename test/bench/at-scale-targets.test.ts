import { describe, expect, it } from 'vitest';
import { atScaleTargets, targetLines } from '../../src/bench/at-scale-targets.js';

const point = (path: string, questions: number, peakRssMb: number, ok = true) => ({ path, questions, seconds: 1, peakRssMb, ok });

describe('the bench summary of issue 35 targets', () => {
  it('judges the largest point of each reader and every timing against its target', () => {
    const rows = atScaleTargets({
      'scaling': {
        points: [
          point('report', 1_000, 80),
          point('report', 1_000_000, 120),
          point('compare', 1_000, 90),
          point('compare', 1_000_000, 301),
          point('report-html', 1_000, 100),
          point('report-html', 1_000_000, 150, false),
        ],
      },
      'compare100k': { seconds: 0.99, ok: true },
      'helpStartupMs': { median: 200 },
      'xf-tiny-clip': { wallOverFloor: 1.1 },
      'blip2Shapes': {
        points: [
          { numBeams: 1, harnessShareOfWall: 0.01 },
          { numBeams: 5, harnessShareOfWall: 0.12 },
        ],
      },
    });
    const byFigure = Object.fromEntries(rows.map((r) => [r.figure.split(',')[0], r.met]));
    expect(byFigure).toEqual({
      '`report` (table)': true,
      '`report --format html`': false, // a failed point is a miss, whatever its memory
      '`compare`': false, // 301 MB at the largest
      '`compare` of two 100k-question runs': true,
      '`xfbench --help`': false, // the target is strictly under 200 ms
      'wall / compute floor': true,
      'BLIP-2 shape': false, // the beams point, not the greedy one
    });
    expect(rows.find((r) => r.figure.startsWith('`compare`,'))!.measured).toBe('90 MB / 301 MB');
    expect(targetLines(rows).filter((l) => l.includes('MISSED'))).toHaveLength(4);
  });

  it('names a BLIP-2 point that could not be measured instead of leaving it out', () => {
    const rows = atScaleTargets({ blip2Shapes: { error: 'the converter venv is missing' } });
    expect(rows).toEqual([expect.objectContaining({ measured: 'the converter venv is missing', met: null })]);
  });
});
