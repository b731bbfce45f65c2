import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { defaultImageWorkers } from '../../lib/cores.js';
import { XfError } from '../../lib/errors.js';
import { packageRoot } from '../../lib/package-root.js';
import type { ImageSpec } from '../bundle/manifest.js';
import type { PreparedImage } from './vision-tower.js';

export interface ImageJob {
  id: number;
  file: string;
  specs: ImageSpec[];
}

export type ImageJobResult =
  { id: number; pixels: Float32Array[]; ms: number } | { id: number; error: { code?: string; message: string; file?: string } };

interface Pending {
  resolve: (pixels: Float32Array[]) => void;
  reject: (err: Error) => void;
}

/**
 * The compiled worker beside this module. Run from sources (vitest), this module is a .ts file and
 * the worker is the build of the same source in dist/: `npm test` builds first. Either way every image
 * is prepared by the one worker users run; there is no inline path that only tests take.
 */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  const file = here.endsWith('.js')
    ? path.join(path.dirname(here), 'image-worker.js')
    : path.join(packageRoot(), 'dist/core/vision/image-worker.js');
  if (!existsSync(file)) throw new XfError('E_NOT_BUILT', 'the image worker is not built', { file, suggestion: 'Run npm run build.' });
  return file;
}

/**
 * Worker threads that decode and preprocess images while the main thread drives the model. Jobs go
 * to the worker with the fewest in flight; results come back as transferred buffers (no copy).
 */
export class ImagePool {
  private readonly workers: { worker: Worker; pending: Map<number, Pending> }[] = [];
  private nextId = 0;
  /** Milliseconds the workers spent decoding and preprocessing (alongside the main thread, not on it). */
  decodeMs = 0;
  /** Settles once every worker has loaded its modules (a worker takes ~0.1 s to start). */
  readonly ready: Promise<void>;

  private constructor(size: number) {
    const started: Promise<void>[] = [];
    const file = workerFile();
    for (let i = 0; i < size; i++) {
      const worker = new Worker(file);
      const slot = { worker, pending: new Map<number, Pending>() };
      started.push(
        new Promise((resolve, reject) => {
          worker.once('message', () => {
            if (slot.pending.size === 0) worker.unref(); // from now on, alive only while it has work
            resolve();
          });
          worker.once('error', reject);
        }),
      );
      worker.on('message', (r: ImageJobResult | { ready: true }) => {
        if ('ready' in r) return;
        const p = slot.pending.get(r.id);
        if (!p) return;
        slot.pending.delete(r.id);
        if (slot.pending.size === 0) worker.unref();
        if ('pixels' in r) {
          this.decodeMs += r.ms;
          p.resolve(r.pixels);
        } else p.reject(r.error.code ? new XfError(r.error.code, r.error.message, { file: r.error.file }) : new Error(r.error.message));
      });
      worker.on('error', (err) => {
        for (const p of slot.pending.values()) p.reject(err);
        slot.pending.clear();
      });
      this.workers.push(slot);
    }
    this.ready = Promise.all(started).then(() => undefined);
  }

  /** A pool of `size` workers (default: `defaultImageWorkers()`). */
  static open(size = defaultImageWorkers()): ImagePool {
    return new ImagePool(size);
  }

  /** Decodes and preprocesses an image for every encoder spec, on a worker. */
  prepare(file: string, specs: readonly ImageSpec[]): Promise<PreparedImage> {
    const slot = this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise<Float32Array[]>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.ref();
      slot.worker.postMessage({ id, file, specs: [...specs] } satisfies ImageJob);
    }).then((pixels) => ({ file, pixels }));
  }

  /** Stops the workers. Not awaited: a worker's exit does not always keep the event loop alive until terminate() settles. */
  close(): void {
    for (const w of this.workers) void w.worker.terminate();
  }
}
