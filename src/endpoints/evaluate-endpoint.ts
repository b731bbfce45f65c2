import type { Sample } from '../datasets/types.js';
import { XfError } from '../lib/errors.js';
import type { EvaluateResult, LineScorer } from '../runs/run-model.js';
import type { PredictionLine, PredictionWriter } from '../runs/prediction-line.js';
import { EndpointFailure, type ChatClient } from './chat-client.js';
import { imageDataUrl } from './endpoint-spec.js';

export interface EndpointEvaluateOptions {
  scorer: LineScorer;
  /** The text sent with each image: the protocol's prompt around the processed question. */
  prompt: (question: string) => string;
  skip?: ReadonlySet<string>;
  total?: number;
  maxErrors?: number;
  shouldStop?: () => boolean;
  onProgress?: (done: number, total: number) => void;
  /** Called with the model name of the first answer, before its line is written (resume checks it). */
  onReportedModel?: (model: string | null) => void;
}

/**
 * `run` against a served model: each question goes to the endpoint as its own request, as many at
 * once as the client's limit allows, and its line is written when its answer (or its failure) comes,
 * so predictions.jsonl is in completion order (the results file is in dataset order). A question whose
 * image cannot be read, or whose request failed after every retry, is an error row that a resumed
 * run tries again; the run goes on.
 */
export async function evaluateEndpoint(
  client: ChatClient,
  samples: AsyncIterable<Sample>,
  writer: PredictionWriter,
  opts: EndpointEvaluateOptions,
): Promise<EvaluateResult> {
  const started = performance.now();
  let done = 0;
  let errors = 0;
  let stoppedBy: EvaluateResult['stoppedBy'] = null;
  let firstAnswer = true;
  let fatal: unknown;
  const inFlight = new Set<Promise<void>>();
  // questions read ahead of the answers: enough to keep the limit busy, never the whole dataset
  const ahead = Math.max(2, 2 * client.limit.max);

  const emit = (line: PredictionLine) => {
    writer.append(line);
    done += 1;
    opts.onProgress?.(done, opts.total ?? done);
  };
  const answer = async (sample: Sample): Promise<void> => {
    const prompt = opts.prompt(sample.question);
    let error: NonNullable<PredictionLine['error']>;
    try {
      const reply = await client.ask(prompt, await imageDataUrl(sample.imagePath));
      if (firstAnswer) {
        firstAnswer = false;
        opts.onReportedModel?.(reply.model);
      }
      emit(opts.scorer.line(sample, reply.text, { prompt }));
      return;
    } catch (err) {
      if (err instanceof EndpointFailure || (err instanceof XfError && err.code === 'E_IMAGE'))
        error = { code: err.code, message: err.message };
      else throw err;
    }
    emit(opts.scorer.errorLine(sample, error, prompt));
    errors += 1;
    if (opts.maxErrors !== undefined && errors > opts.maxErrors) stoppedBy ??= 'max-errors';
  };

  for await (const sample of samples) {
    if (opts.skip?.has(sample.id)) continue;
    if (opts.shouldStop?.()) stoppedBy ??= 'signal';
    if (stoppedBy || fatal) break;
    const task: Promise<void> = answer(sample)
      .catch((err: unknown) => {
        fatal ??= err;
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
    if (inFlight.size >= ahead) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (fatal) throw fatal;
  const ms = performance.now() - started;
  return { evaluated: done, errors, stoppedBy, timings: { visionMs: 0, generateMs: ms, images: 0, questions: done } };
}
