import * as ort from 'onnxruntime-node';
import type { ImageSpec, Manifest } from '../bundle/manifest.js';
import type { EncoderSession } from '../bundle/open-sessions.js';
import type { RuntimeMeter } from '../bundle/runtime-meter.js';
import { XfError } from '../../lib/errors.js';
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

  /** Several prepared images through every encoder and the fusion module in one call each. */
  async encodeBatch(images: readonly PreparedImage[]): Promise<VisualTokens[]> {
    const batch = images.length;
    const feeds: Record<string, ort.Tensor> = {};
    for (const [i, { spec, session }] of this.encoders.entries()) {
      const [w, h] = spec.image.size;
      const pixels = stackRows(images.map((img) => img.pixels[i]!));
      const out = await this.meter.run(session, { [spec.input]: new ort.Tensor('float32', pixels, [batch, 3, h, w]) });
      feeds[spec.fusionInput] = out[spec.output]!;
    }
    const tokens = (await this.meter.run(this.fusion, feeds))[this.manifest.fusion.output]!;
    const [b, n, d] = tokens.dims as [number, number, number];
    if (b !== batch || d !== this.manifest.lm.hiddenSize || n !== this.manifest.fusion.numTokens) {
      throw new XfError('E_GRAPH_IO', `fusion output has shape [${tokens.dims.join(', ')}], the manifest says [${batch}, ${this.manifest.fusion.numTokens}, ${this.manifest.lm.hiddenSize}] (fusion.numTokens, lm.hiddenSize)`, {
        file: this.fusionFile, suggestion: 'The manifest and the graph disagree; re-export the bundle.',
      });
    }
    const data = tokens.data as Float32Array;
    // each image's tokens in their own buffer: they outlive the batch in the vision cache
    return images.map((_, k) => ({ data: data.slice(k * n * d, (k + 1) * n * d), dims: [1, n, d] as const }));
  }
}
