import * as ort from 'onnxruntime-node';
import type { Manifest } from '../bundle/manifest.js';
import type { RuntimeMeter } from '../bundle/runtime-meter.js';
import { attentionMask, int64, ScratchArrays, stackRows } from '../tensors.js';
import type { CacheResidence } from './cache-residence.js';
import type { VisualTokens } from '../vision/vision-tower.js';
import { CausalBatch, type CausalLM, type PromptBatch } from './causal-batch.js';
import type { DecodingBatch, GenerationRequest, LanguageSide } from './decoding.js';
import type { GenerationSettings } from './generation.js';
import { KvLayout, type ImagePrefix } from './kv-layout.js';
import type { PromptEncoder } from './prompts.js';

/**
 * The frozen decoder-only LM: its token embeddings and its decoder with a key/value cache. It knows
 * how to run one step; what to feed it next is a decoding strategy's business.
 */
export class LanguageModel implements LanguageSide, CausalLM {
  readonly kv: KvLayout;
  private readonly prefixScratch = new ScratchArrays();

  constructor(
    private readonly embed: ort.InferenceSession,
    private readonly decoder: ort.InferenceSession,
    readonly spec: Manifest['lm'],
    private readonly meter: RuntimeMeter,
    readonly cache: CacheResidence,
  ) {
    this.kv = new KvLayout(spec.cache);
  }

  /** The decoder's inputs besides the cache; positions only where the graph takes them (OPT derives its own from the mask). */
  inputs(embeds: ort.Tensor, mask: ort.Tensor, positions: () => ort.Tensor): Record<string, ort.Tensor> {
    const names = this.spec.inputs;
    return { [names.embeds]: embeds, [names.attentionMask]: mask, ...(names.positionIds ? { [names.positionIds]: positions() } : {}) };
  }

  async embedIds(ids: number[], dims: [number, number]): Promise<ort.Tensor> {
    return (await this.meter.run(this.embed, { [this.spec.embedInput]: int64(ids, dims) }, 'lmEmbed'))[this.spec.embedOutput]!;
  }

  /**
   * The LM's keys and values over each image's visual tokens. The visual tokens come first and the
   * LM is causal, so they do not depend on the question: computed once per image, they serve every
   * question about it, and each question's prefill covers only its prompt.
   */
  async prefixes(visuals: readonly VisualTokens[]): Promise<ImagePrefix[]> {
    const lm = this.spec;
    const n = visuals[0]!.dims[1];
    if (visuals.some((v) => v.dims[1] !== n)) throw new Error('images with different numbers of visual tokens in one batch');
    const embeds = stackRows(visuals.map((v) => v.data));
    const result = await this.meter.run(
      this.decoder,
      {
        ...this.inputs(
          new ort.Tensor('float32', embeds, [visuals.length, n, lm.hiddenSize]),
          attentionMask(
            visuals.map(() => ({ at: 0, length: 0 })),
            n,
          ),
          () =>
            int64(
              visuals.flatMap(() => Array.from({ length: n }, (_, t) => t)),
              [visuals.length, n],
            ),
        ),
        ...this.kv.empty(visuals.length),
      },
      'lmPrefix',
      // only the keys and values: the logits over the visual tokens are never read, so they are neither
      // computed nor copied. Not with outputs in device memory: onnxruntime-node 1.30 then places a
      // subset's outputs by their position in the subset, not in the graph (the first key came back
      // on the host, where the logits would have been, and the others on the device).
      this.cache.keepsOnDevice ? undefined : this.kv.presentNames(),
    );
    const past = this.kv.presentAsPast(result);
    const prefixes = this.kv.rowsOf(await this.cache.toHost(past), visuals.length, n);
    this.cache.release(Object.values(past));
    return prefixes;
  }

  /** Token-id prompts after their rows' image prefixes of `prefix` positions, left-padded with `padId`. */
  async embedPrompts(prompts: readonly number[][], prefix: number, padId: number): Promise<PromptBatch> {
    const lengths = prompts.map((p) => p.length);
    const width = Math.max(...lengths);
    const padding = lengths.map((n) => width - n);
    // pad ids go first, so one embedding call returns every row already left-padded
    const ids = prompts.flatMap((p, i) => [...new Array<number>(padding[i]!).fill(padId), ...p]);
    const embeds = await this.embedIds(ids, [prompts.length, width]);
    const positions = new BigInt64Array(prompts.length * width);
    for (const [i, n] of lengths.entries()) {
      for (let t = 0; t < n; t++) positions[i * width + padding[i]! + t] = BigInt(prefix + t);
    }
    return { embeds, positions: new ort.Tensor('int64', positions, [prompts.length, width]), lengths, padding, width, prefix };
  }

  /** The first decoder call: the prompts, with the rows' image prefixes stacked as past keys and values. */
  async prefill(feeds: Record<string, ort.Tensor>, prefixes: readonly ImagePrefix[]): Promise<ort.InferenceSession.ReturnType> {
    const scratch = this.prefixScratch.claim();
    try {
      return await this.meter.run(this.decoder, { ...feeds, ...this.kv.stack(prefixes, scratch) }, 'lmPrefill');
    } finally {
      scratch?.release();
    }
  }

  startBatch(prompts: PromptEncoder, gen: GenerationSettings, requests: readonly GenerationRequest[]): Promise<DecodingBatch> {
    return CausalBatch.start(this, prompts, gen, requests);
  }

  /** One decoder call on feeds that already carry the cache. */
  async step(feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
    return this.meter.run(this.decoder, feeds, 'lmSteps');
  }
}
