import type { Sample } from '../datasets/types.js';
import { familyEntries } from '../metrics/categories.js';
import { accumulatorFor } from '../metrics/streaming.js';
import type { Accumulator, AggregateContext, FamilyEntry, Metric, MetricValue } from '../metrics/types.js';
import { answerNormaliser, type Protocol } from '../protocols/protocol.js';
import { predictionLine, type PredictionLine } from '../runs/prediction-line.js';

/**
 * Where `run` and `score` meet: from the moment a prediction exists, both turn it into a scored
 * prediction line the same way, and aggregate the lines the same way.
 */
export class SampleScorer {
  constructor(
    private readonly metrics: readonly Metric[],
    private readonly normalise: (text: string) => string,
    /** A protocol that normalises the gold answers too (LAVIS's GQA); the dataset's answers as they are otherwise. */
    private readonly normaliseGold?: (text: string) => string,
  ) {}

  /** The sample as scored: its gold answers normalised when the protocol says so. */
  private scored(sample: Sample): Sample {
    return this.normaliseGold ? { ...sample, answers: sample.answers.map(this.normaliseGold) } : sample;
  }

  /** Every metric's per-sample scores of one prediction. */
  scores(sample: Sample, prediction: string): Record<string, number> {
    return Object.assign({}, ...this.metrics.map((m) => m.score(sample, prediction))) as Record<string, number>;
  }

  /** The line for a model's (or another system's) answer: normalised as the benchmark's scorer expects, unless `raw`. */
  line(sample: Sample, answer: string, opts: { raw?: boolean; prompt?: string } = {}): PredictionLine {
    const prediction = opts.raw ? answer : this.normalise(answer);
    const scored = this.scored(sample);
    return predictionLine(scored, prediction, this.scores(scored, prediction), undefined, answer, opts.prompt);
  }

  /** The line of a sample that could not be answered; `prompt`: the text the LM would have been given (a prompt too long is the failure itself). */
  errorLine(sample: Sample, error: NonNullable<PredictionLine['error']>, prompt?: string): PredictionLine {
    const scored = this.scored(sample);
    return predictionLine(scored, '', this.scores(scored, ''), error, undefined, prompt);
  }
}

/** The scorer of a dataset under a protocol: the protocol's answer normalisation (on answer and gold) where it has one, else the dataset's. */
export function scorerFor(
  metrics: readonly Metric[],
  datasetId: string,
  normalise: (text: string) => string,
  protocol: Protocol,
): SampleScorer {
  const own = answerNormaliser(protocol, datasetId);
  return new SampleScorer(metrics, own?.answer ?? normalise, own?.gold);
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
