import type { Sample } from '../datasets/types.js';
import { familyEntries } from '../metrics/categories.js';
import { accumulatorFor } from '../metrics/streaming.js';
import type { Accumulator, AggregateContext, FamilyEntry, Metric, MetricValue } from '../metrics/types.js';
import { predictionLine, type PredictionLine } from '../runs/prediction-line.js';

/**
 * Where `run` and `score` meet: from the moment a prediction exists, both turn it into a scored
 * prediction line the same way, and aggregate the lines the same way.
 */
export class SampleScorer {
  constructor(
    private readonly metrics: readonly Metric[],
    private readonly normalise: (text: string) => string,
  ) {}

  /** Every metric's per-sample scores of one prediction. */
  scores(sample: Sample, prediction: string): Record<string, number> {
    return Object.assign({}, ...this.metrics.map((m) => m.score(sample, prediction))) as Record<string, number>;
  }

  /** The line for a model's (or another system's) answer: normalised as the benchmark's scorer expects, unless `raw`. */
  line(sample: Sample, answer: string, opts: { raw?: boolean } = {}): PredictionLine {
    const prediction = opts.raw ? answer : this.normalise(answer);
    return predictionLine(sample, prediction, this.scores(sample, prediction), undefined, answer);
  }

  /** The line for a sample that could not be evaluated: scored as unanswered. */
  errorLine(sample: Sample, error: NonNullable<PredictionLine['error']>): PredictionLine {
    return predictionLine(sample, '', this.scores(sample, ''), error);
  }
}

export interface RunTotals {
  metrics: MetricValue[];
  /** The category families of those values, for tables and for readers of run.json. */
  families: FamilyEntry[];
  /** Samples with a prediction line. */
  evaluated: number;
  errorsByCode: Record<string, number>;
}

/** Prediction lines, fed one at a time, into every metric's accumulator and the error counts. */
export class RunTally {
  private readonly accumulators: Accumulator[];
  private evaluated = 0;
  private readonly errorsByCode: Record<string, number> = {};

  constructor(
    private readonly metrics: readonly Metric[],
    ctx: AggregateContext,
  ) {
    this.accumulators = metrics.map((m) => accumulatorFor(m, ctx));
  }

  add(line: PredictionLine): void {
    this.evaluated += 1;
    if (line.error) this.errorsByCode[line.error.code] = (this.errorsByCode[line.error.code] ?? 0) + 1;
    for (const a of this.accumulators) a.add(line);
  }

  finish(): RunTotals {
    const values = this.accumulators.flatMap((a) => a.finish());
    const families = this.metrics.flatMap((m) =>
      familyEntries(
        m,
        values.filter((v) => v.metric === m.id).map((v) => v.category),
      ),
    );
    return { metrics: values, families, evaluated: this.evaluated, errorsByCode: this.errorsByCode };
  }
}
