import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { XfError } from '../../lib/errors.js';
import { packageRoot } from '../../lib/package-root.js';
import type { ImageSpec } from '../bundle/manifest.js';

export interface ImageJob {
  id: number;
  file: string;
  specs: ImageSpec[];
}

export type ImageJobResult =
  | { id: number; pixels: Float32Array[]; ms: number }
  | { id: number; error: { code?: string; message: string; file?: string } };

interface Pending {
  resolve: (pixels: Float32Array[]) => void;
  reject: (err: Error) => void;
}

/** The compiled worker; absent when running from sources (tests before a build), where images are prepared inline. */
const WORKER_FILE = path.join(packageRoot(), 'dist/core/vision/image-worker.js');

/** Image workers when not told otherwise: the cores left after the runtime's thread, two at most. */
export function defaultImageWorkers(): number {
  return Math.min(2, Math.max(1, cpus().length - 1));
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
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER_FILE);
      const slot = { worker, pending: new Map<number, Pending>() };
      started.push(new Promise((resolve, reject) => {
        worker.once('message', () => {
          if (slot.pending.size === 0) worker.unref(); // from now on, alive only while it has work
          resolve();
        });
        worker.once('error', reject);
      }));
      worker.on('message', (r: ImageJobResult | { ready: true }) => {
        if ('ready' in r) return;
        const p = slot.pending.get(r.id);
        if (!p) return;
        slot.pending.delete(r.id);
        if (slot.pending.size === 0) worker.unref();
        if ('pixels' in r) {
          this.decodeMs += r.ms;
          p.resolve(r.pixels);
        }
        else p.reject(r.error.code ? new XfError(r.error.code, r.error.message, { file: r.error.file }) : new Error(r.error.message));
      });
      worker.on('error', (err) => {
        for (const p of slot.pending.values()) p.reject(err);
        slot.pending.clear();
      });
      this.workers.push(slot);
    }
    this.ready = Promise.all(started).then(() => undefined);
  }

  /** A pool of `size` workers (default: `defaultImageWorkers()`), or undefined without a build. */
  static open(size = defaultImageWorkers()): ImagePool | undefined {
    return existsSync(WORKER_FILE) ? new ImagePool(size) : undefined;
  }

  prepare(file: string, specs: ImageSpec[]): Promise<Float32Array[]> {
    const slot = this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.ref();
      slot.worker.postMessage({ id, file, specs } satisfies ImageJob);
    });
  }

  /** Stops the workers. Not awaited: a worker's exit does not always keep the event loop alive until terminate() settles. */
  close(): void {
    for (const w of this.workers) void w.worker.terminate();
  }
}
