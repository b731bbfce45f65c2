import { XfError } from '../lib/errors.js';
import type { Sample } from '../datasets/types.js';
import type { Metric, ScoredSample } from '../metrics/types.js';

/**
 * One source of truth for correctness: compare pairs stored per-sample scores, and recomputes other
 * metrics (consistency, distribution) from the stored predictions, so the two must agree. Every
 * stored score is checked against what its metric gives for the line's prediction and gold answers;
 * a line that disagrees (an edited file, or scores from an xfbench that scored differently) is refused.
 */
/** `where` says which line or row of `file` ("line 12" of predictions.jsonl, "row 12" of results.parquet). */
export function checkStoredScores(line: ScoredSample, where: string, metrics: readonly Metric[], file: string): void {
  // a scorer reads the gold answers, categories and extra fields a line keeps, never the image
  const sample = line as unknown as Sample;
  for (const metric of metrics) {
    const scores = metric.score(sample, line.prediction);
    for (const key in scores) {
      const expected = scores[key]!;
      if (line.scores[key] === expected) continue;
      throw new XfError(
        'E_RUN_CORRUPT',
        `${where} (question ${line.id}) stores ${key} = ${String(line.scores[key])}, but its prediction "${line.prediction}" scores ${expected}`,
        {
          file,
          suggestion:
            'The predictions were edited, or scored by another xfbench version: score the run again with xfbench score --from-run.',
        },
      );
    }
  }
}
