import type { PredictionLine } from './prediction-line.js';
import { runLineBatches, type LoadedRun, type RunHeader } from './read-run.js';

/** A run's lines one at a time, pulled from its batches. */
class LineCursor {
  private batch: readonly PredictionLine[] = [];
  private at = 0;
  private done = false;
  private readonly batches: AsyncIterator<PredictionLine[]>;

  constructor(run: RunHeader | LoadedRun) {
    this.batches = runLineBatches(run)[Symbol.asyncIterator]();
  }

  /** The next line, or undefined at the end. */
  async next(): Promise<PredictionLine | undefined> {
    while (this.at >= this.batch.length && !this.done) {
      const r = await this.batches.next();
      if (r.done) this.done = true;
      else [this.batch, this.at] = [r.value, 0];
    }
    return this.at < this.batch.length ? this.batch[this.at++] : undefined;
  }

  /** Lines left in the batch in hand: these come without waiting. */
  ready(): number {
    return this.batch.length - this.at;
  }

  take(): PredictionLine {
    return this.batch[this.at++]!;
  }

  async close(): Promise<void> {
    await this.batches.return?.(undefined);
  }
}

/**
 * Visits the runs' lines side by side, the k-th of each together, without holding any run: finished
 * runs of one dataset list the same questions in the same (dataset) order. Returns 'misaligned' as
 * soon as they do not (other questions, or another order), for the caller to pair them by id instead.
 */
export async function forEachAligned(
  runs: readonly (RunHeader | LoadedRun)[],
  visit: (lines: readonly PredictionLine[]) => void,
): Promise<'aligned' | 'misaligned'> {
  const cursors = runs.map((r) => new LineCursor(r));
  try {
    for (;;) {
      const firsts = await Promise.all(cursors.map((c) => c.next()));
      if (firsts.every((l) => l === undefined)) return 'aligned';
      if (firsts.some((l) => l === undefined || l.id !== firsts[0]!.id)) return 'misaligned';
      visit(firsts as PredictionLine[]);
      // then as many as every cursor has in hand, with no await per line
      for (let n = Math.min(...cursors.map((c) => c.ready())); n > 0; n--) {
        const lines = cursors.map((c) => c.take());
        if (lines.some((l) => l.id !== lines[0]!.id)) return 'misaligned';
        visit(lines);
      }
    }
  } finally {
    await Promise.all(cursors.map((c) => c.close()));
  }
}
