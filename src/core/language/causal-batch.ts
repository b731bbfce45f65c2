import { gatherFeeds, int64 } from '../tensors.js';
import type { DecoderResult, DecodingBatch, GenerationRequest } from './decoding.js';
import type { GenerationSettings } from './generation.js';
import { attentionMask, type LanguageModel, type PromptBatch } from './language-model.js';
import type { PromptEncoder } from './prompts.js';

/**
 * A batch on a decoder-only LM: each question's prompt after its image's prefix (the cached keys and
 * values over the visual tokens), left-padded into one width, with each row's hole of padding masked
 * out and positions that skip it, so every row computes what it would alone.
 */
export class CausalBatch implements DecodingBatch {
  private constructor(
    private readonly lm: LanguageModel,
    private readonly requests: readonly GenerationRequest[],
    private readonly rows: PromptBatch,
    /** Per request: the padding between its image prefix and its prompt. */
    private readonly holes: readonly { at: number; length: number }[],
  ) {}

  static async start(lm: LanguageModel, prompts: PromptEncoder, gen: GenerationSettings, requests: readonly GenerationRequest[]): Promise<CausalBatch> {
    const prefix = requests[0]!.prefix.length;
    if (requests.some((r) => r.prefix.length !== prefix)) throw new Error('prefixes of different lengths in one batch');
    const rows = await lm.embedPrompts(requests.map((r) => prompts.ids(r.question)), prefix, prompts.tokenizer.padId);
    if (rows.prefix + rows.width + gen.maxNewTokens > lm.spec.maxPositions) {
      throw new Error(`prompt of ${rows.prefix + rows.width} positions plus ${gen.maxNewTokens} new tokens exceeds the LM's ${lm.spec.maxPositions}`);
    }
    return new CausalBatch(lm, requests, rows, rows.padding.map((length) => ({ at: rows.prefix, length })));
  }

  first(): Promise<DecoderResult> {
    const { lm, rows } = this;
    return lm.prefill(lm.inputs(rows.embeds, attentionMask(this.holes, rows.prefix + rows.width), () => rows.positions), this.requests.map((r) => r.prefix));
  }

  async next(previous: DecoderResult, tokens: readonly number[], requestOf: readonly number[], step: number, sources?: readonly number[]): Promise<DecoderResult> {
    const { lm, rows } = this;
    const width = rows.prefix + rows.width + step + 1;
    const past = lm.kv.presentAsPast(previous);
    return lm.step({
      ...lm.inputs(
        await lm.embedIds([...tokens], [tokens.length, 1]),
        attentionMask(requestOf.map((i) => this.holes[i]!), width),
        () => int64(requestOf.map((i) => rows.prefix + rows.lengths[i]! + step), [tokens.length, 1]),
      ),
      ...(sources ? gatherFeeds(past, sources) : past),
    });
  }

  logits(result: DecoderResult) {
    return result[this.lm.spec.logits]!;
  }
}
