import type * as ort from 'onnxruntime-node';
import { int64 } from '../tensors.js';
import type { GenerationSettings } from './generation.js';
import type { ImagePrefix } from './kv-layout.js';
import { attentionMask, type LanguageModel, type PromptBatch } from './language-model.js';
import type { PromptEncoder } from './prompts.js';

export interface GenerationRequest {
  prefix: ImagePrefix;
  question: string;
}

export interface Generation {
  text: string;
  tokenIds: number[];
  /** Logits of the first generated position, for parity checks. */
  firstLogits: Float32Array;
}

/**
 * A batch of questions, each on its image's prefix, ready for its first decoder call: the prompts
 * left-padded into one width, with each row's hole of padding masked out.
 */
export class DecodingBatch {
  private constructor(
    readonly lm: LanguageModel,
    readonly rows: PromptBatch,
    /** Per request: the padding between its image prefix and its prompt. */
    readonly holes: readonly { at: number; length: number }[],
  ) {}

  static async start(lm: LanguageModel, prompts: PromptEncoder, gen: GenerationSettings, requests: readonly GenerationRequest[]): Promise<DecodingBatch> {
    const prefix = requests[0]!.prefix.length;
    if (requests.some((r) => r.prefix.length !== prefix)) throw new Error('prefixes of different lengths in one batch');
    const rows = await lm.embedPrompts(requests.map((r) => prompts.ids(r.question)), prefix, prompts.tokenizer.padId);
    if (rows.prefix + rows.width + gen.maxNewTokens > lm.spec.maxPositions) {
      throw new Error(`prompt of ${rows.prefix + rows.width} positions plus ${gen.maxNewTokens} new tokens exceeds the LM's ${lm.spec.maxPositions}`);
    }
    return new DecodingBatch(lm, rows, rows.padding.map((length) => ({ at: rows.prefix, length })));
  }

  /** The prefill: every request's prompt after its image prefix, one row each. */
  prefill(requests: readonly GenerationRequest[]): Promise<ort.InferenceSession.ReturnType> {
    const { lm, rows } = this;
    return lm.prefill(lm.inputs(rows.embeds, attentionMask(this.holes, rows.prefix + rows.width), () => rows.positions), requests.map((r) => r.prefix));
  }

  /**
   * The decoder's feeds for generated position `step + 1`: one token per row, row `r` belonging to
   * request `requestOf[r]`, on `past` (already in row order).
   */
  async stepFeeds(tokens: readonly number[], requestOf: readonly number[], step: number, past: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
    const { lm, rows } = this;
    const width = rows.prefix + rows.width + step + 1;
    return {
      ...lm.inputs(
        await lm.embedIds([...tokens], [tokens.length, 1]),
        attentionMask(requestOf.map((i) => this.holes[i]!), width),
        () => int64(requestOf.map((i) => rows.prefix + rows.lengths[i]! + step), [tokens.length, 1]),
      ),
      ...past,
    };
  }
}

/** The logits of a batch row's last position. */
export function lastLogits(logits: ort.Tensor, row: number): Float32Array {
  const [, t, v] = logits.dims as [number, number, number];
  const start = (row * t + t - 1) * v;
  return (logits.data as Float32Array).subarray(start, start + v);
}

export function cutAtStop(text: string, stops: readonly string[]): string {
  for (const s of stops) {
    const at = text.indexOf(s);
    if (at >= 0) text = text.slice(0, at);
  }
  return text;
}
