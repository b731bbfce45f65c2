import type { PredictionLine } from '../runs/prediction-line.js';
import type { LoadedRun } from '../runs/read-run.js';

/**
 * A finished `score` run held in memory, for simulations (calibration.ts) and tests: its rows as given,
 * a record naming the dataset and the metrics whose values whoever reads it recomputes.
 */
export function simulatedRun(
  name: string,
  datasetId: string,
  metrics: readonly string[],
  rows: PredictionLine[],
  config: Record<string, unknown> = {},
): LoadedRun {
  return {
    dir: `/simulated/${name}`,
    rows,
    record: {
      xfbenchVersion: 'simulation',
      createdAt: '',
      command: '',
      gitCommit: null,
      kind: 'score',
      bundle: null,
      provider: null,
      dataset: { id: datasetId, dir: '', sha256: 'simulated', questions: rows.length, evaluated: rows.length },
      config: { name, metrics: [...metrics], allQuestions: false, choices: null, ...config },
      timings: {},
      metrics: metrics.map((metric) => ({ metric, category: 'overall', value: null, n: 0, higherIsBetter: true })),
    },
  };
}
