import * as ort from 'onnxruntime-node';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RuntimeMeter } from '../bundle/runtime-meter.js';
import { openGraph } from '../bundle/sessions.js';

const LOGITS_HEAD_GRAPH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../assets/logits-head.onnx');

/** Each row's k largest logits at its last position, and what its log-softmax needs (assets/logits-head.onnx). */
export interface TopLogits {
  k: number;
  /** [rows, k], largest first; of equal logits the lower id first. */
  logits: Float32Array;
  ids: BigInt64Array;
  /** Per row: log(sum(exp(logit - max))) over the whole vocabulary, in float32. */
  logNorm: Float32Array;
}

/**
 * What a decoding strategy reads of a decoder's logits, computed by onnxruntime instead of a
 * JavaScript loop over the vocabulary: the best k per row (greedy needs 1 plus the end tokens it may
 * bar, beam search 2 x beams plus them) and the log-sum-exp that turns a logit into a log-probability.
 * The logits themselves stay where the decoder left them.
 */
export class LogitsHead {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly meter: RuntimeMeter,
  ) {}

  /** On the CPU: the decoder's logits come back to the host on every provider. */
  static async open(meter: RuntimeMeter, threads?: number): Promise<LogitsHead> {
    return new LogitsHead(await openGraph(LOGITS_HEAD_GRAPH, 'cpu', threads), meter);
  }

  async top(logits: ort.Tensor, k: number): Promise<TopLogits> {
    const vocabulary = logits.dims.at(-1)!;
    const kept = Math.min(k, vocabulary);
    const out = await this.meter.run(
      this.session,
      { logits, k: new ort.Tensor('int64', BigInt64Array.of(BigInt(kept)), [1]) },
      'logitsHead',
    );
    return {
      k: kept,
      logits: out['top_logits']!.data as Float32Array,
      ids: out['top_ids']!.data as BigInt64Array,
      logNorm: out['log_norm']!.data as Float32Array,
    };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
