import type { Bundle } from '../core/bundle/manifest.js';
import type { SessionOptions } from '../core/bundle/sessions.js';
import { VisionLanguageModel, type GenerationOverrides, type PromptOverrides } from '../core/model.js';
import type { EncoderAblation } from '../core/vision/ablation.js';
import { ImagePool } from '../core/vision/image-pool.js';
import { VisionCache } from '../core/vision/vision-cache.js';
import type { Sample } from '../datasets/types.js';
import { prepareAblation, type RunAblation } from './ablation-setup.js';
import { DEFAULT_VISION_CACHE_BYTES } from './settings.js';

export interface RunSessionOptions extends SessionOptions {
  generation: GenerationOverrides;
  prompting?: PromptOverrides;
  /** `--ablate`: prepared over these samples' images (every shard's, so shards ablate alike). */
  ablations: EncoderAblation[];
  ablationScope: () => AsyncIterable<Sample>;
  /** Keep visual tokens per image content; on disk too when a folder is given. */
  visionCache: boolean;
  cacheDir?: string;
}

/**
 * The resources one run holds while it evaluates: the model's sessions, the image workers, the vision
 * cache and an ablation's set-up. One owner, one `dispose`, whatever step failed: opening the model,
 * preparing the ablation, or the run itself.
 */
export class RunSession {
  private constructor(
    readonly model: VisionLanguageModel,
    readonly images: ImagePool,
    readonly cache: VisionCache,
    readonly ablation: RunAblation | undefined,
  ) {}

  static async open(bundle: Bundle, opts: RunSessionOptions): Promise<RunSession> {
    // the image workers start while the sessions are created, so their start-up is load time
    const images = ImagePool.open();
    let model: VisionLanguageModel | undefined;
    try {
      model = await VisionLanguageModel.open(
        bundle,
        { device: opts.device, threads: opts.threads, hostReadsFeatures: opts.ablations.length > 0 },
        opts.generation,
        opts.prompting,
      );
      await images.ready;
      let ablation: RunAblation | undefined;
      if (opts.ablations.length > 0) {
        const paths: string[] = [];
        for await (const s of opts.ablationScope()) paths.push(s.imagePath);
        ablation = await prepareAblation(model, images, opts.ablations, paths);
      }
      const cache = new VisionCache(bundle.hash, DEFAULT_VISION_CACHE_BYTES, opts.visionCache ? opts.cacheDir : undefined);
      return new RunSession(model, images, cache, ablation);
    } catch (err) {
      images.close();
      await model?.dispose();
      throw err;
    }
  }

  async dispose(): Promise<void> {
    this.images.close();
    await this.model.dispose();
  }
}
