import * as ort from 'onnxruntime-node';
import type { Manifest } from '../bundle/manifest.js';
import type { RuntimeMeter } from '../bundle/runtime-meter.js';
import { gatherFeeds, int64 } from '../tensors.js';
import type { CacheResidence } from './cache-residence.js';
import type { VisualTokens } from '../vision/vision-tower.js';
import { releaseCaches, type DecoderResult, type DecodingBatch, type GenerationRequest, type LanguageSide } from './decoding.js';
import type { GenerationSettings } from './generation.js';
import { KvLayout, type ImagePrefix } from './kv-layout.js';
import type { PromptEncoder } from './prompts.js';

type EncoderDecoderSpec = NonNullable<Manifest['lm']['encoderDecoder']>;

/**
 * An encoder-decoder LM (T5, as BLIP-2's Flan-T5 models use it). Its encoder reads each question's
 * [visual tokens; prompt] at once (bidirectionally, so nothing is shared between questions on one image
 * but the visual tokens); the decoder then generates from its start token, reading the encoder's states
 * through cross-attention whose keys and values are computed once per question.
 */
export class EncoderDecoderLM implements LanguageSide {
  readonly kv: KvLayout;
  readonly crossNames: string[];

  constructor(
    readonly embed: ort.InferenceSession,
    readonly encoder: ort.InferenceSession,
    readonly cross: ort.InferenceSession,
    readonly decoder: ort.InferenceSession,
    readonly spec: Manifest['lm'],
    readonly ed: EncoderDecoderSpec,
    readonly meter: RuntimeMeter,
    readonly cache: CacheResidence,
  ) {
    this.kv = new KvLayout(spec.cache);
    this.crossNames = this.kv.pairNames(ed.crossKey, ed.crossValue);
  }

  async embedIds(ids: number[], dims: [number, number]): Promise<ort.Tensor> {
    return (await this.meter.run(this.embed, { [this.spec.embedInput]: int64(ids, dims) }, 'lmEmbed'))[this.spec.embedOutput]!;
  }

  /** The visual tokens are what the encoder will read before each prompt. */
  async prefixes(visuals: readonly VisualTokens[]): Promise<ImagePrefix[]> {
    return visuals.map((v) => ({ length: v.dims[1], past: {}, visual: v.data }));
  }

  startBatch(prompts: PromptEncoder, gen: GenerationSettings, requests: readonly GenerationRequest[]): Promise<DecodingBatch> {
    return Seq2SeqBatch.start(this, prompts, gen, requests);
  }
}

/** Per request: what every decoder call reads besides its own cache. */
interface EncoderContext {
  feeds: Record<string, ort.Tensor>;
}

/**
 * A batch on an encoder-decoder LM: one encoder call over every question's [visual tokens; prompt],
 * right-padded and masked, one call for the cross-attention keys and values, then decoder calls from
 * the start token. The encoder's context is copied per row only when the rows change (beams).
 */
class Seq2SeqBatch implements DecodingBatch {
  private gathered?: { key: string; feeds: Record<string, ort.Tensor> };

  private constructor(
    private readonly lm: EncoderDecoderLM,
    private readonly context: EncoderContext,
  ) {}

  static async start(
    lm: EncoderDecoderLM,
    prompts: PromptEncoder,
    gen: GenerationSettings,
    requests: readonly GenerationRequest[],
  ): Promise<Seq2SeqBatch> {
    const { spec, ed } = lm;
    const n = requests[0]!.prefix.length;
    if (requests.some((r) => r.prefix.length !== n || !r.prefix.visual))
      throw new Error('encoder-decoder batch without visual tokens of one length');
    const ids = requests.map((r) => prompts.ids(r.question));
    const width = Math.max(...ids.map((p) => p.length));
    if (n + width + gen.maxNewTokens > spec.maxPositions) {
      throw new Error(`prompt of ${n + width} positions plus ${gen.maxNewTokens} new tokens exceeds the LM's ${spec.maxPositions}`);
    }
    const padId = prompts.tokenizer.padId;
    const embedded = await lm.embedIds(
      ids.flatMap((p) => [...p, ...new Array<number>(width - p.length).fill(padId)]),
      [requests.length, width],
    );
    const d = spec.hiddenSize;
    const total = n + width;
    const embeds = new Float32Array(requests.length * total * d);
    const mask = new BigInt64Array(requests.length * total);
    const promptData = embedded.data as Float32Array;
    for (const [i, r] of requests.entries()) {
      embeds.set(r.prefix.visual!, i * total * d);
      embeds.set(promptData.subarray(i * width * d, (i + 1) * width * d), (i * total + n) * d);
      mask.fill(1n, i * total, i * total + n + ids[i]!.length);
    }
    const maskTensor = new ort.Tensor('int64', mask, [requests.length, total]);
    const states = (
      await lm.meter.run(
        lm.encoder,
        {
          [ed.encoderInputs.embeds]: new ort.Tensor('float32', embeds, [requests.length, total, d]),
          [ed.encoderInputs.attentionMask]: maskTensor,
        },
        'lmEncoder',
      )
    )[ed.encoderOutput]!;
    const cross = await lm.meter.run(lm.cross, { [ed.crossInput]: states }, 'lmCross');
    const feeds: Record<string, ort.Tensor> = { [spec.inputs.attentionMask]: maskTensor, [ed.decoderStatesInput]: states };
    for (const name of lm.crossNames) feeds[name] = cross[name]!;
    return new Seq2SeqBatch(lm, { feeds });
  }

  /** The encoder's context for rows belonging to `requestOf`, copied once per distinct row layout. */
  private contextFor(requestOf: readonly number[]): Record<string, ort.Tensor> {
    const key = requestOf.join(',');
    const identity =
      requestOf.length === this.context.feeds[this.lm.spec.inputs.attentionMask]!.dims[0] && requestOf.every((r, i) => r === i);
    if (identity) return this.context.feeds;
    if (this.gathered?.key !== key) this.gathered = { key, feeds: gatherFeeds(this.context.feeds, requestOf) };
    return this.gathered.feeds;
  }

  private async decode(tokens: readonly number[], requestOf: readonly number[], past: Record<string, ort.Tensor>): Promise<DecoderResult> {
    const { lm } = this;
    return lm.meter.run(
      lm.decoder,
      {
        [lm.spec.inputs.embeds]: await lm.embedIds([...tokens], [tokens.length, 1]),
        ...this.contextFor(requestOf),
        ...past,
      },
      'lmSteps',
    );
  }

  first(): Promise<DecoderResult> {
    const rows = this.context.feeds[this.lm.spec.inputs.attentionMask]!.dims[0]!;
    const everyRow = Array.from({ length: rows }, (_, i) => i);
    return this.decode(
      everyRow.map(() => this.lm.ed.decoderStartTokenId),
      everyRow,
      this.lm.kv.empty(rows),
    );
  }

  async next(
    previous: DecoderResult,
    tokens: readonly number[],
    requestOf: readonly number[],
    _step: number,
    sources?: readonly number[],
  ): Promise<DecoderResult> {
    const { cache, kv } = this.lm;
    const past = kv.presentAsPast(previous);
    const fed = sources ? await cache.gather(past, sources) : past;
    const result = await this.decode(tokens, requestOf, fed);
    releaseCaches(cache, past, fed);
    return result;
  }

  finish(last: DecoderResult): void {
    this.lm.cache.release(Object.values(this.lm.kv.presentAsPast(last)));
  }

  logits(result: DecoderResult): ort.Tensor {
    return result[this.lm.spec.logits]!;
  }
}
