import type { ImageSpec } from '../core/bundle/manifest.js';
import type { ImagePool } from '../core/vision/image-pool.js';
import type { VisionCache } from '../core/vision/vision-cache.js';
import type { PreparedImage } from '../core/vision/vision-tower.js';
import type { Sample } from '../datasets/types.js';

export interface ImageAhead {
  prepared: Promise<PreparedImage | { failed: unknown }>;
  /** Vision-cache key (file content hash); undefined without a cache or for an unreadable file. */
  key: Promise<string | undefined>;
}

/**
 * Images in the order their samples come, each once, read, hashed and decoded ahead of use (file I/O
 * and sharp run off the main thread), so the runtime rarely waits for an image.
 */
export class ImagePrefetcher {
  private readonly order: string[] = [];
  private readonly indexOf = new Map<string, number>();
  private readonly ahead = new Map<number, ImageAhead>();

  constructor(
    private readonly pool: ImagePool,
    private readonly specs: ImageSpec[],
    samples: readonly Sample[],
    private readonly depth: number,
    private readonly cache?: VisionCache,
  ) {
    for (const s of samples) {
      if (!this.indexOf.has(s.imagePath)) {
        this.indexOf.set(s.imagePath, this.order.length);
        this.order.push(s.imagePath);
      }
    }
  }

  /** An image outside the read-ahead (an ablation's partner image), prepared now. */
  prepareOther(file: string): Promise<PreparedImage> {
    return this.pool.prepare(file, this.specs);
  }

  /** The image's pending work, starting the next `depth` images meanwhile. */
  take(imagePath: string): ImageAhead {
    const k = this.indexOf.get(imagePath)!;
    for (let j = k; j <= k + this.depth && j < this.order.length; j++) {
      if (this.ahead.has(j)) continue;
      const file = this.order[j]!;
      this.ahead.set(j, {
        prepared: this.pool.prepare(file, this.specs).catch((failed: unknown) => ({ failed })),
        key: this.cache ? this.cache.keyFor(file) : Promise.resolve(undefined),
      });
    }
    const work = this.ahead.get(k)!;
    this.ahead.delete(k);
    return work;
  }
}
