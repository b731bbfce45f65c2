import type { ImagePrefix, PreparedImage, VisionLanguageModel, VisualTokens } from '../core/model.js';
import type { VisionCache } from '../core/vision/vision-cache.js';
import { createHash } from 'node:crypto';
import { XfError } from '../lib/errors.js';
import { batchAblation, type RunAblation } from './ablation-setup.js';
import type { PredictionLine } from '../runs/prediction-line.js';
import type { StageTimings } from '../runs/run-model.js';
import type { ImagePrefetcher } from './image-prefetch.js';

export interface ImageOutcome {
  imagePath: string;
  visual?: VisualTokens;
  /** The LM's keys and values over the visual tokens, computed once per image. */
  prefix?: ImagePrefix;
  error?: PredictionLine['error'];
}

export type { StageTimings } from '../runs/run-model.js';

/** The cache key of an ablated image: its own, the ablation's, and (shuffle) its partner's. */
async function ablatedKey(
  key: string | undefined,
  imagePath: string,
  cache: VisionCache | undefined,
  ablation: RunAblation | undefined,
): Promise<string | undefined> {
  if (!ablation || key === undefined || !cache) return key;
  const partner = ablation.partnerOf?.get(imagePath);
  const partnerKey = partner ? await cache.keyFor(partner) : '';
  return createHash('sha256')
    .update(`${key}|${ablation.cacheSalt}|${partnerKey ?? ''}`)
    .digest('hex');
}

/** Only per-sample problems with an input (bad image) become error rows; anything else is a bug and propagates. */
function sampleError(err: unknown): PredictionLine['error'] | undefined {
  if (err instanceof XfError && err.code === 'E_IMAGE') return { code: err.code, message: err.message };
  return undefined;
}

/**
 * Visual tokens for each image (from the cache, or from one batched call through the encoders and the
 * fusion module for all the misses), or the per-sample error an unreadable image causes.
 */
export async function visualTokensFor(
  paths: readonly string[],
  model: VisionLanguageModel,
  images: ImagePrefetcher,
  cache: VisionCache | undefined,
  timings: StageTimings,
  ablation?: RunAblation,
): Promise<Map<string, ImageOutcome>> {
  const t = performance.now();
  const outcomes = new Map<string, ImageOutcome>();
  const misses: { imagePath: string; key?: string; prepared: PreparedImage }[] = [];
  for (const imagePath of paths) {
    const work = images.take(imagePath);
    const key = await ablatedKey(await work.key, imagePath, cache, ablation);
    const cached = cache && key !== undefined ? await cache.lookup(key) : undefined;
    if (cached) {
      outcomes.set(imagePath, { imagePath, visual: cached });
      continue;
    }
    const prepared = await work.prepared;
    if ('failed' in prepared) {
      const error = sampleError(prepared.failed);
      if (!error) throw prepared.failed;
      outcomes.set(imagePath, { imagePath, error });
      continue;
    }
    misses.push({ imagePath, key, prepared });
  }
  if (misses.length > 0) {
    const partnerOf = ablation?.partnerOf;
    // each image's partner, named by the image it stands in for: the tower looks it up, whatever the batch's order
    const partners = partnerOf
      ? new Map(
          await Promise.all(
            misses.map(async (m) => [m.prepared.file, await images.prepareOther(partnerOf.get(m.imagePath) ?? m.imagePath)] as const),
          ),
        )
      : undefined;
    const visuals = await model.encodeBatch(
      misses.map((m) => m.prepared),
      ablation ? batchAblation(ablation, partners) : undefined,
    );
    for (const [i, m] of misses.entries()) {
      outcomes.set(m.imagePath, { imagePath: m.imagePath, visual: visuals[i] });
      if (cache && m.key !== undefined) await cache.store(m.key, visuals[i]!);
    }
  }
  timings.visionMs += performance.now() - t;
  timings.images += [...outcomes.values()].filter((o) => o.visual).length;
  return outcomes;
}
