import { createHash } from 'node:crypto';
import type { VisionLanguageModel } from '../core/model.js';
import { derangement, type ChannelStats, type EncoderAblation } from '../core/vision/ablation.js';
import type { ImagePool } from '../core/vision/image-pool.js';
import type { BatchAblation, PreparedImage } from '../core/vision/vision-tower.js';

/** What `run --ablate` needs during the run: per-batch settings, each image's partner, and a salt for the vision cache. */
export interface RunAblation {
  ablations: EncoderAblation[];
  modes: Map<string, EncoderAblation['mode']>;
  stats: Map<string, ChannelStats>;
  /** `shuffle`: whose features each image gets. */
  partnerOf?: Map<string, string>;
  /** Folded into the vision cache's key: ablated tokens never pass for intact ones. */
  cacheSalt: string;
}

const STATS_BATCH = 16;

/** Running per-channel sums of one encoder's features over every token of every image. */
class ChannelSums {
  private sum?: Float64Array;
  private sumSq?: Float64Array;
  private count = 0;

  add(perImage: readonly Float32Array[], channels: number): void {
    const sum = (this.sum ??= new Float64Array(channels));
    const sumSq = (this.sumSq ??= new Float64Array(channels));
    for (const f of perImage) {
      for (let i = 0; i < f.length; i++) {
        sum[i % channels] += f[i]!;
        sumSq[i % channels] += f[i]! * f[i]!;
      }
      this.count += f.length / channels;
    }
  }

  finish(): ChannelStats {
    const mean = Float32Array.from(this.sum!, (s) => s / this.count);
    const std = Float32Array.from(this.sumSq!, (s, c) => Math.sqrt(Math.max(0, s / this.count - mean[c]! * mean[c]!)));
    return { mean, std };
  }
}

/**
 * Everything an ablated run computes before its first question, in one pass over the images in scope
 * (each decoded once): the channel statistics (for `mean` and `noise`) and the derangement (for
 * `shuffle`). Over the whole scope, not one shard's images, so every shard ablates alike and the
 * shards merge into the unsharded run. Images that cannot be read are left out of both (their samples
 * fail anyway).
 */
export async function prepareAblation(
  model: VisionLanguageModel,
  pool: ImagePool,
  ablations: EncoderAblation[],
  imagesInScope: readonly string[],
): Promise<RunAblation> {
  const images = [...new Set(imagesInScope)].sort();
  const sums = new Map(ablations.filter((a) => a.mode === 'mean' || a.mode === 'noise').map((a) => [a.encoder, new ChannelSums()]));
  const readable: string[] = [];
  for (let start = 0; start < images.length; start += STATS_BATCH) {
    const batch = images.slice(start, start + STATS_BATCH);
    const prepared = (await Promise.all(batch.map((f) => pool.prepare(f, model.vision.imageSpecs).catch(() => undefined)))).filter(
      (p): p is PreparedImage => p !== undefined,
    );
    readable.push(...prepared.map((p) => p.file));
    if (prepared.length === 0) continue;
    for (const [encoder, s] of sums) {
      const { perImage, channels } = await model.vision.features(encoder, prepared);
      s.add(perImage, channels);
    }
  }
  const stats = new Map([...sums].map(([encoder, s]) => [encoder, s.finish()]));
  const partnerOf = ablations.some((a) => a.mode === 'shuffle') ? derangement(readable) : undefined;
  const digest = createHash('sha256').update(JSON.stringify(ablations));
  for (const [enc, s] of stats) digest.update(enc).update(Buffer.from(s.mean.buffer)).update(Buffer.from(s.std.buffer));
  if (partnerOf) digest.update(JSON.stringify([...partnerOf]));
  return { ablations, modes: new Map(ablations.map((a) => [a.encoder, a.mode])), stats, partnerOf, cacheSalt: digest.digest('hex') };
}

/** The per-batch view the vision tower takes, with the partner of each of this batch's images already prepared, by image file. */
export function batchAblation(run: RunAblation, partners?: ReadonlyMap<string, PreparedImage>): BatchAblation {
  return { modes: run.modes, stats: run.stats, ...(partners ? { partners } : {}) };
}
