import * as ort from 'onnxruntime-node';
import type { ImageSpec, Manifest } from '../bundle/manifest.js';
import type { EncoderSession } from '../bundle/open-sessions.js';
import type { RuntimeMeter } from '../bundle/runtime-meter.js';
import path from 'node:path';
import { XfError } from '../../lib/errors.js';
import { ablateFeatures, type AblationMode, type ChannelStats } from './ablation.js';
import { stackRows } from '../tensors.js';

/** Visual tokens of one image: [1, numTokens, hiddenSize] in the LM's embedding space. */
export interface VisualTokens {
  data: Float32Array;
  dims: readonly [number, number, number];
}

/** One image decoded and preprocessed for each encoder, in the manifest's encoder order. */
export interface PreparedImage {
  file: string;
  pixels: Float32Array[];
}

/** What an ablated run changes in a batch: the mode per encoder, the run's channel statistics, and each image's partner for `shuffle`. */
export interface BatchAblation {
  modes: ReadonlyMap<string, AblationMode>;
  stats: ReadonlyMap<string, ChannelStats>;
  /** `shuffle`: the prepared partner of each image of the batch, by the image's file. */
  partners?: ReadonlyMap<string, PreparedImage>;
}

/** The image whose features a `shuffle` ablation gives `image` (a missing partner is a bug of the caller, not bad input). */
function partnerOf(image: PreparedImage, ablation: BatchAblation): PreparedImage {
  const partner = ablation.partners?.get(image.file);
  if (!partner) throw new Error(`no shuffle partner prepared for ${image.file}`);
  return partner;
}

/** The frozen vision encoders (CLIP, and MAE for X-Former) and the fusion module that turns their features into visual tokens. */
export class VisionTower {
  constructor(
    private readonly encoders: readonly EncoderSession[],
    private readonly fusion: ort.InferenceSession,
    private readonly manifest: Manifest,
    private readonly meter: RuntimeMeter,
    /** The fusion graph's file, named when its output disagrees with the manifest. */
    private readonly fusionFile: string,
  ) {}

  /** Each encoder's preprocessing, in the order `PreparedImage.pixels` holds them. */
  get imageSpecs(): ImageSpec[] {
    return this.encoders.map(({ spec }) => spec.image);
  }

  /** One encoder's output for each image: [tokens, channels] flat, and the channel count. */
  async features(encoder: string, images: readonly PreparedImage[]): Promise<{ perImage: Float32Array[]; channels: number }> {
    const i = this.encoders.findIndex((e) => e.spec.id === encoder);
    const out = await this.runEncoder(
      i,
      images.map((img) => img.pixels[i]!),
    );
    if (out.location !== 'cpu')
      throw new Error('encoder features kept in device memory cannot be read; open the bundle with hostReadsFeatures');
    const [b, , c] = out.dims as [number, number, number];
    const data = out.data as Float32Array;
    const per = data.length / b;
    return { perImage: Array.from({ length: b }, (_, k) => data.slice(k * per, (k + 1) * per)), channels: c };
  }

  private async runEncoder(i: number, pixels: readonly Float32Array[]): Promise<ort.Tensor> {
    const { spec, session } = this.encoders[i]!;
    const [w, h] = spec.image.size;
    const out = await this.meter.run(
      session,
      { [spec.input]: new ort.Tensor('float32', stackRows(pixels), [pixels.length, 3, h, w]) },
      'visionEncoders',
    );
    return out[spec.output]!;
  }

  /**
   * Several prepared images through every encoder and the fusion module in one call each. With
   * `ablation`, the named encoders' features are taken away (ablation.ts): `shuffle` feeds the encoder
   * each image's partner instead, the other modes rewrite its output before the fusion module.
   */
  async encodeBatch(images: readonly PreparedImage[], ablation?: BatchAblation): Promise<VisualTokens[]> {
    const batch = images.length;
    const feeds: Record<string, ort.Tensor> = {};
    for (const [i, { spec }] of this.encoders.entries()) {
      const a = ablation?.modes.get(spec.id);
      const source = a === 'shuffle' ? images.map((img) => partnerOf(img, ablation!)) : images;
      const out = await this.runEncoder(
        i,
        source.map((img) => img.pixels[i]!),
      );
      if (a && a !== 'shuffle') {
        const [, , c] = out.dims as [number, number, number];
        const data = out.data as Float32Array;
        const per = data.length / batch;
        images.forEach((img, k) =>
          ablateFeatures(data.subarray(k * per, (k + 1) * per), c, a, ablation!.stats.get(spec.id), path.basename(img.file)),
        );
      }
      feeds[spec.fusionInput] = out;
    }
    const tokens = (await this.meter.run(this.fusion, feeds, 'fusion'))[this.manifest.fusion.output]!;
    for (const features of Object.values(feeds)) if (features.location === 'gpu-buffer') features.dispose();
    const [b, n, d] = tokens.dims as [number, number, number];
    if (b !== batch || d !== this.manifest.lm.hiddenSize || n !== this.manifest.fusion.numTokens) {
      throw new XfError(
        'E_GRAPH_IO',
        `fusion output has shape [${tokens.dims.join(', ')}], the manifest says [${batch}, ${this.manifest.fusion.numTokens}, ${this.manifest.lm.hiddenSize}] (fusion.numTokens, lm.hiddenSize)`,
        {
          file: this.fusionFile,
          suggestion: 'The manifest and the graph disagree; re-export the bundle.',
        },
      );
    }
    const data = tokens.data as Float32Array;
    // each image's tokens in their own buffer: they outlive the batch in the vision cache
    return images.map((_, k) => ({ data: data.slice(k * n * d, (k + 1) * n * d), dims: [1, n, d] as const }));
  }
}
