import { createHash } from 'node:crypto';
import type { VisionLanguageModel } from '../core/model.js';
import { derangement, type ChannelStats, type EncoderAblation } from '../core/vision/ablation.js';
import type { BatchAblation, PreparedImage } from '../core/vision/vision-tower.js';
import type { ImageFeeder } from './image-feeder.js';

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

/** Per-channel mean and standard deviation of one encoder's features over every token of every image. */
async function channelStats(model: VisionLanguageModel, feeder: ImageFeeder, encoder: string, images: readonly string[]): Promise<ChannelStats> {
  let sum: Float64Array | undefined;
  let sumSq: Float64Array | undefined;
  let count = 0;
  for (let start = 0; start < images.length; start += STATS_BATCH) {
    const prepared = await Promise.all(images.slice(start, start + STATS_BATCH).map((f) => feeder.prepare(f, model.vision.imageSpecs)));
    const { perImage, channels } = await model.vision.features(encoder, prepared);
    sum ??= new Float64Array(channels);
    sumSq ??= new Float64Array(channels);
    for (const f of perImage) {
      for (let i = 0; i < f.length; i++) {
        sum[i % channels] += f[i]!;
        sumSq[i % channels] += f[i]! * f[i]!;
      }
      count += f.length / channels;
    }
  }
  const mean = Float32Array.from(sum!, (s) => s / count);
  const std = Float32Array.from(sumSq!, (s, c) => Math.sqrt(Math.max(0, s / count - mean[c]! * mean[c]!)));
  return { mean, std };
}

/**
 * Everything an ablated run computes before its first question: the channel statistics over the
 * images in scope (for `mean` and `noise`), and the derangement of those images (for `shuffle`).
 * Over the whole scope, not one shard's images, so every shard ablates alike and the shards merge into
 * the unsharded run. Images that cannot be read are left out of both (their samples fail anyway).
 */
export async function prepareAblation(model: VisionLanguageModel, feeder: ImageFeeder, ablations: EncoderAblation[], imagesInScope: readonly string[]): Promise<RunAblation> {
  const images = [...new Set(imagesInScope)].sort();
  const readable: string[] = [];
  for (const f of images) if (await feeder.prepare(f, model.vision.imageSpecs).then(() => true, () => false)) readable.push(f);
  const stats = new Map<string, ChannelStats>();
  for (const a of ablations) if (a.mode === 'mean' || a.mode === 'noise') stats.set(a.encoder, await channelStats(model, feeder, a.encoder, readable));
  const partnerOf = ablations.some((a) => a.mode === 'shuffle') ? derangement(readable) : undefined;
  const digest = createHash('sha256').update(JSON.stringify(ablations));
  for (const [enc, s] of stats) digest.update(enc).update(Buffer.from(s.mean.buffer)).update(Buffer.from(s.std.buffer));
  if (partnerOf) digest.update(JSON.stringify([...partnerOf]));
  return { ablations, modes: new Map(ablations.map((a) => [a.encoder, a.mode])), stats, partnerOf, cacheSalt: digest.digest('hex') };
}

/** The per-batch view the vision tower takes, with the partners of this batch's images already prepared. */
export function batchAblation(run: RunAblation, partners?: PreparedImage[]): BatchAblation {
  return { modes: run.modes, stats: run.stats, ...(partners ? { partners: () => partners } : {}) };
}
