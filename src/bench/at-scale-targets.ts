/**
 * Issue 35's figures against their targets, gathered from one bench invocation's figures and printed
 * together at its end: the reader that misses its target is seen at once, not searched for among the
 * scaling lines.
 */

interface ScalingPoint {
  path: string;
  questions: number;
  seconds: number;
  peakRssMb: number;
  ok: boolean;
}

export interface TargetRow {
  figure: string;
  measured: string;
  target: string;
  met: boolean | null;
}

const MAX_RSS_MB = 300;

/** Peak RSS of `path` at each size, and whether the largest is within the memory target. */
function memoryRow(points: readonly ScalingPoint[], path: string, figure: string): TargetRow | undefined {
  const mine = points.filter((p) => p.path === path);
  if (mine.length === 0) return undefined;
  const largest = mine[mine.length - 1]!;
  return {
    figure: `${figure}, peak RSS at ${mine.map((p) => p.questions.toLocaleString('en-US')).join(' / ')} questions`,
    measured: mine.map((p) => (p.ok ? `${p.peakRssMb.toFixed(0)} MB` : 'failed')).join(' / '),
    target: `flat, <= ${MAX_RSS_MB} MB at the largest`,
    met: mine.every((p) => p.ok) && largest.peakRssMb <= MAX_RSS_MB,
  };
}

export function atScaleTargets(figures: Record<string, unknown>): TargetRow[] {
  const rows: (TargetRow | undefined)[] = [];
  const scaling = figures['scaling'] as { points: ScalingPoint[] } | undefined;
  if (scaling) {
    rows.push(memoryRow(scaling.points, 'report', '`report` (table)'));
    rows.push(memoryRow(scaling.points, 'report-html', '`report --format html`'));
    rows.push(memoryRow(scaling.points, 'compare', '`compare`'));
  }
  const compare = figures['compare100k'] as { seconds: number; ok: boolean } | undefined;
  if (compare)
    rows.push({
      figure: '`compare` of two 100k-question runs',
      measured: `${compare.seconds.toFixed(2)} s`,
      target: '< 1 s',
      met: compare.ok && compare.seconds < 1,
    });
  const help = figures['helpStartupMs'] as { median: number } | undefined;
  if (help)
    rows.push({
      figure: '`xfbench --help`, median of 5',
      measured: `${help.median.toFixed(0)} ms`,
      target: '< 200 ms',
      met: help.median < 200,
    });
  for (const bundle of ['xf-tiny-clip', 'xf-tiny-xformer']) {
    const f = figures[bundle] as { wallOverFloor: number } | undefined;
    if (f)
      rows.push({
        figure: `wall / compute floor, ${bundle}`,
        measured: f.wallOverFloor.toFixed(3),
        target: '<= 1.10',
        met: f.wallOverFloor <= 1.1,
      });
  }
  const blip2 = figures['blip2Shapes'] as { points?: { numBeams: number; harnessShareOfWall: number }[]; error?: string } | undefined;
  const beams = blip2?.points?.find((p) => p.numBeams > 1);
  if (beams)
    rows.push({
      figure: `BLIP-2 shape, ${beams.numBeams} beams: harness outside session.run`,
      measured: `${(100 * beams.harnessShareOfWall).toFixed(1)}% of wall`,
      target: '<= 5% of wall',
      met: beams.harnessShareOfWall <= 0.05,
    });
  else if (blip2)
    rows.push({
      figure: 'BLIP-2 shape, 5 beams: harness outside session.run',
      measured: blip2.error ?? 'not measured',
      target: '<= 5% of wall',
      met: null,
    });
  return rows.filter((r): r is TargetRow => r !== undefined);
}

/** The rows as lines for the terminal. */
export function targetLines(rows: readonly TargetRow[]): string[] {
  const mark = (met: boolean | null) => (met === null ? 'n/a' : met ? 'met' : 'MISSED');
  return [
    'issue 35 figures against their targets:',
    ...rows.map((r) => `  ${mark(r.met).padEnd(6)} ${r.figure}: ${r.measured} (target ${r.target})`),
  ];
}
