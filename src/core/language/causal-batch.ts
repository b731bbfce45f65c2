import type * as ort from 'onnxruntime-node';
import type { Manifest } from '../bundle/manifest.js';
import { attentionMask, int64 } from '../tensors.js';
import type { CacheResidence } from './cache-residence.js';
import { releaseCaches, type DecoderResult, type DecodingBatch, type GenerationRequest } from './decoding.js';
import type { GenerationSettings } from './generation.js';
import type { ImagePrefix, KvLayout } from './kv-layout.js';
import type { PromptEncoder } from './prompts.js';

/** Prompts embedded for one batch, left-padded to one width, with positions that continue after the image prefix. */
export interface PromptBatch {
  embeds: ort.Tensor;
  positions: ort.Tensor;
  /** Each row's prompt length, and its left padding. */
  lengths: number[];
  padding: number[];
  width: number;
  /** Positions taken by the image prefix before the prompt. */
  prefix: number;
}

/** What a causal batch needs of its decoder-only LM (language-model.ts). */
export interface CausalLM {
  readonly spec: Manifest['lm'];
  readonly kv: KvLayout;
  readonly cache: CacheResidence;
  inputs(embeds: ort.Tensor, mask: ort.Tensor, positions: () => ort.Tensor): Record<string, ort.Tensor>;
  embedIds(ids: number[], dims: [number, number]): Promise<ort.Tensor>;
  embedPrompts(prompts: readonly number[][], prefix: number, padId: number): Promise<PromptBatch>;
  prefill(feeds: Record<string, ort.Tensor>, prefixes: readonly ImagePrefix[]): Promise<DecoderResult>;
  step(feeds: Record<string, ort.Tensor>): Promise<DecoderResult>;
}

/**
 * A batch on a decoder-only LM: each question's prompt after its image's prefix (the cached keys and
 * values over the visual tokens), left-padded into one width, with each row's hole of padding masked
 * out and positions that skip it, so every row computes what it would alone.
 */
export class CausalBatch implements DecodingBatch {
  private constructor(
    private readonly lm: CausalLM,
    private readonly requests: readonly GenerationRequest[],
    private readonly rows: PromptBatch,
    /** Per request: the padding between its image prefix and its prompt. */
    private readonly holes: readonly { at: number; length: number }[],
  ) {}

  static async start(
    lm: CausalLM,
    prompts: PromptEncoder,
    gen: GenerationSettings,
    requests: readonly GenerationRequest[],
  ): Promise<CausalBatch> {
    const prefix = requests[0]!.prefix.length;
    if (requests.some((r) => r.prefix.length !== prefix)) throw new Error('prefixes of different lengths in one batch');
    const rows = await lm.embedPrompts(
      requests.map((r) => prompts.ids(r.question)),
      prefix,
      prompts.tokenizer.padId,
    );
    if (rows.prefix + rows.width + gen.maxNewTokens > lm.spec.maxPositions) {
      throw new Error(
        `prompt of ${rows.prefix + rows.width} positions plus ${gen.maxNewTokens} new tokens exceeds the LM's ${lm.spec.maxPositions}`,
      );
    }
    return new CausalBatch(
      lm,
      requests,
      rows,
      rows.padding.map((length) => ({ at: rows.prefix, length })),
    );
  }

  first(): Promise<DecoderResult> {
    const { lm, rows } = this;
    return lm.prefill(
      lm.inputs(rows.embeds, attentionMask(this.holes, rows.prefix + rows.width), () => rows.positions),
      this.requests.map((r) => r.prefix),
    );
  }

  async next(
    previous: DecoderResult,
    tokens: readonly number[],
    requestOf: readonly number[],
    step: number,
    sources?: readonly number[],
  ): Promise<DecoderResult> {
    const { lm, rows } = this;
    const width = rows.prefix + rows.width + step + 1;
    const past = lm.kv.presentAsPast(previous);
    const cache = sources ? await lm.cache.gather(past, sources) : past;
    const result = await lm.step({
      ...lm.inputs(
        await lm.embedIds([...tokens], [tokens.length, 1]),
        attentionMask(
          requestOf.map((i) => this.holes[i]!),
          width,
        ),
        () =>
          int64(
            requestOf.map((i) => rows.prefix + rows.lengths[i]! + step),
            [tokens.length, 1],
          ),
      ),
      ...cache,
    });
    releaseCaches(lm.cache, past, cache);
    return result;
  }

  finish(last: DecoderResult): void {
    this.lm.cache.release(Object.values(this.lm.kv.presentAsPast(last)));
  }

  logits(result: DecoderResult) {
    return result[this.lm.spec.logits]!;
  }
}
