import type { Bundle, Manifest } from './bundle/manifest.js';
import { openBundleSessions, type BundleSessions } from './bundle/open-sessions.js';
import { RuntimeMeter } from './bundle/runtime-meter.js';
import { defaultIntraOpThreads, keepsOutputsOnDevice, type ProviderChoice, type SessionOptions } from './bundle/sessions.js';
import { DeviceCache, HostCache, type CacheResidence } from './language/cache-residence.js';
import { decodeBeams } from './language/beam-search.js';
import type { Generation, GenerationRequest, LanguageSide } from './language/decoding.js';
import { resolveGeneration, type GenerationOverrides, type GenerationSettings } from './language/generation.js';
import { decodeGreedy } from './language/greedy.js';
import { LogitsHead } from './language/logits-head.js';
import type { ImagePrefix } from './language/kv-layout.js';
import { LanguageModel } from './language/language-model.js';
import { EncoderDecoderLM } from './language/seq2seq.js';
import { PromptEncoder } from './language/prompts.js';
import { BundleTokenizer } from './language/tokenizer.js';
import { VisionTower, type BatchAblation, type PreparedImage, type VisualTokens } from './vision/vision-tower.js';

export type { Generation, GenerationRequest } from './language/decoding.js';
export type { GenerationOverrides, GenerationSettings } from './language/generation.js';

/** An evaluation protocol's prompt (around `{question}`) and question processing, over the bundle's. */
export interface PromptOverrides {
  template?: string;
  question?: (question: string) => string;
}
export type { ImagePrefix } from './language/kv-layout.js';
export type { PreparedImage, VisualTokens } from './vision/vision-tower.js';

/**
 * A model bundle opened on onnxruntime: the vision side (encoders and fusion module, giving visual
 * tokens) and the language side (prompt, prefix, prefill and a decoding strategy). Everything it
 * does is driven by the manifest; nothing depends on the bundle's name.
 */
export class VisionLanguageModel {
  private constructor(
    readonly bundle: Bundle,
    private readonly sessions: BundleSessions,
    private readonly cache: CacheResidence,
    private readonly head: LogitsHead,
    readonly vision: VisionTower,
    readonly language: LanguageSide,
    readonly prompts: PromptEncoder,
    /** Time inside onnxruntime's session.run, and how many calls: the compute floor. */
    readonly runtime: RuntimeMeter,
    /** The decoding settings in use: the bundle's, with the run's overrides. */
    readonly generation: GenerationSettings,
  ) {}

  static async open(
    bundle: Bundle,
    opts: SessionOptions,
    overrides: GenerationOverrides = {},
    prompting: PromptOverrides = {},
  ): Promise<VisionLanguageModel> {
    const m = bundle.manifest;
    const sessions = await openBundleSessions(bundle, opts);
    let tokenizer: BundleTokenizer;
    let generation: GenerationSettings;
    try {
      tokenizer = await BundleTokenizer.load(bundle.file(m.tokenizer.file), m.tokenizer.eosToken, m.tokenizer.padToken, m.tokenizer);
      generation = resolveGeneration(m.generation, tokenizer, overrides, bundle.file('xfbench.json'));
    } catch (err) {
      await sessions.release();
      throw err;
    }
    const provider = sessions.provider.used;
    const meter = new RuntimeMeter(provider);
    const cache = keepsOutputsOnDevice(provider) ? await DeviceCache.open(provider, meter) : new HostCache();
    // as many threads as the bundle's own graphs: at real shapes it sums over 50,272 logits per row
    const head = await LogitsHead.open(meter, opts.threads ?? defaultIntraOpThreads(bundle.bytes));
    return new VisionLanguageModel(
      bundle,
      sessions,
      cache,
      head,
      new VisionTower(sessions.encoders, sessions.fusion, m, meter, bundle.file(m.fusion.graph)),
      sessions.seq2seq && m.lm.encoderDecoder
        ? new EncoderDecoderLM(
            sessions.embed,
            sessions.seq2seq.encoder,
            sessions.seq2seq.cross,
            sessions.decoder,
            m.lm,
            m.lm.encoderDecoder,
            meter,
            cache,
          )
        : new LanguageModel(sessions.embed, sessions.decoder, m.lm, meter, cache),
      new PromptEncoder(prompting.template ?? m.prompt.template, tokenizer, prompting.question),
      meter,
      generation,
    );
  }

  get manifest(): Manifest {
    return this.bundle.manifest;
  }

  get provider(): ProviderChoice {
    return this.sessions.provider;
  }

  get tokenizer(): BundleTokenizer {
    return this.prompts.tokenizer;
  }

  prompt(question: string): string {
    return this.prompts.prompt(question);
  }

  encodeBatch(images: readonly PreparedImage[], ablation?: BatchAblation): Promise<VisualTokens[]> {
    return this.vision.encodeBatch(images, ablation);
  }

  /** Every encoder on the prepared image, then the fusion module: the visual tokens the LM reads. */
  async encodePrepared(prepared: PreparedImage): Promise<VisualTokens> {
    return (await this.vision.encodeBatch([prepared]))[0]!;
  }

  prefixes(visuals: readonly VisualTokens[]): Promise<ImagePrefix[]> {
    return this.language.prefixes(visuals);
  }

  /** Whether a question's prompt, after `prefixLength` image positions, leaves room for the answer in the LM's context. */
  promptFits(question: string, prefixLength: number): boolean {
    return prefixLength + this.prompts.ids(question).length + this.generation.maxNewTokens <= this.manifest.lm.maxPositions;
  }

  /** Greedy or beam search, as the settings say, over several questions at once (answers do not depend on the batch). */
  async generateBatch(requests: readonly GenerationRequest[], settings: GenerationSettings = this.generation): Promise<Generation[]> {
    const decode = settings.numBeams > 1 ? decodeBeams : decodeGreedy;
    const batch = await this.language.startBatch(this.prompts, settings, requests);
    return decode(batch, this.tokenizer, settings, requests.length, this.head);
  }

  /** One question on one image's visual tokens: a batch of one. */
  async generate(visual: VisualTokens, question: string): Promise<Generation> {
    const [prefix] = await this.prefixes([visual]);
    return (await this.generateBatch([{ prefix: prefix!, question }]))[0]!;
  }

  async dispose(): Promise<void> {
    await this.cache.close();
    await this.head.release();
    await this.sessions.release();
  }
}
