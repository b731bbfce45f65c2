import * as ort from 'onnxruntime-node';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RuntimeMeter } from '../bundle/runtime-meter.js';
import { openGraph, type Provider } from '../bundle/sessions.js';
import { RowGatherer } from '../tensors.js';

/**
 * Where a decoder's key/value cache lives between calls, and how its rows move there. A beam
 * search reorders rows every step and a finished question leaves the batch; the image prefixes,
 * which outlive a batch, are read on the host.
 */
export interface CacheResidence {
  /** Whether the decoder's present keys and values stay in device memory (its outputs are placed there). */
  readonly keepsOnDevice: boolean;
  /** Row i of each result is row rows[i] of the tensor (rows may repeat). */
  gather(tensors: Record<string, ort.Tensor>, rows: readonly number[]): Promise<Record<string, ort.Tensor>>;
  /** Host copies of the tensors (identity where they already are on the host). */
  toHost(tensors: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>>;
  /** Frees what the tensors hold in device memory once nothing reads them. */
  release(tensors: Iterable<ort.Tensor>): void;
  close(): Promise<void>;
}

/** The cache in host memory: rows moved in place where the batch does not grow (tensors.ts). */
export class HostCache implements CacheResidence {
  readonly keepsOnDevice = false;
  private readonly gatherer = new RowGatherer();

  async gather(tensors: Record<string, ort.Tensor>, rows: readonly number[]): Promise<Record<string, ort.Tensor>> {
    return this.gatherer.gather(tensors, rows);
  }

  async toHost(tensors: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
    return tensors;
  }

  release(): void {}

  async close(): Promise<void> {}
}

const GATHER_ROWS_GRAPH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../assets/gather-rows.onnx');

/**
 * The cache in device memory (WebGPU buffers): the decoder's present keys and values are fed back
 * as the next call's past without a copy to the host, and rows are reordered on the device by a
 * one-node Gather graph (assets/gather-rows.onnx). The same graph with host outputs brings a cache
 * back when the host needs it (an image's prefix, kept for every question about the image).
 */
export class DeviceCache implements CacheResidence {
  readonly keepsOnDevice = true;
  private constructor(
    private readonly onDevice: ort.InferenceSession,
    private readonly toHostSession: ort.InferenceSession,
    private readonly meter: RuntimeMeter,
  ) {}

  static async open(provider: Provider, meter: RuntimeMeter): Promise<DeviceCache> {
    return new DeviceCache(
      await openGraph(GATHER_ROWS_GRAPH, provider, 1, ['rows_out']),
      await openGraph(GATHER_ROWS_GRAPH, provider, 1),
      meter,
    );
  }

  private async run(
    session: ort.InferenceSession,
    tensors: Record<string, ort.Tensor>,
    rows: readonly number[],
  ): Promise<Record<string, ort.Tensor>> {
    const ids = new ort.Tensor(
      'int64',
      BigInt64Array.from(rows, (r) => BigInt(r)),
      [rows.length],
    );
    const out: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(tensors)) {
      out[name] = (await this.meter.run(session, { rows_in: t, row_ids: ids }, 'cacheRows')).rows_out!;
    }
    return out;
  }

  gather(tensors: Record<string, ort.Tensor>, rows: readonly number[]): Promise<Record<string, ort.Tensor>> {
    return this.run(this.onDevice, tensors, rows);
  }

  async toHost(tensors: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
    const first = Object.values(tensors)[0];
    if (!first || first.location !== 'gpu-buffer') return tensors;
    return this.run(
      this.toHostSession,
      tensors,
      Array.from({ length: first.dims[0]! }, (_, i) => i),
    );
  }

  release(tensors: Iterable<ort.Tensor>): void {
    for (const t of tensors) if (t.location === 'gpu-buffer') t.dispose();
  }

  async close(): Promise<void> {
    await this.onDevice.release();
    await this.toHostSession.release();
  }
}
