import * as ort from 'onnxruntime-node';

/** An int64 tensor from plain numbers (token ids, positions). */
export function int64(values: readonly number[], dims: number[]): ort.Tensor {
  return new ort.Tensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );
}

/** Equal-length rows laid end to end (into `out` when given): the batch dimension of a tensor. */
export function stackRows(rows: readonly Float32Array[], out?: Float32Array): Float32Array {
  const length = rows[0]!.length;
  const stacked = out ?? new Float32Array(rows.length * length);
  rows.forEach((r, i) => stacked.set(r, i * length));
  return stacked;
}

/**
 * Float32 arrays kept by name from one batch to the next. Stacking each batch's image prefixes into
 * fresh arrays cost about nine times the copy itself (allocation, zero-filling, collection; 279 ms
 * against 30 ms for gqa-mini's batches with 65-token prefixes). One batch holds the arrays at a
 * time; a batch that finds them held (calls made concurrently) stacks into fresh arrays instead.
 */
export class ScratchArrays {
  private readonly arrays = new Map<string, Float32Array>();
  private held = false;

  claim(): ScratchArrays | undefined {
    if (this.held) return undefined;
    this.held = true;
    return this;
  }

  release(): void {
    this.held = false;
  }

  get(name: string, length: number): Float32Array {
    let array = this.arrays.get(name);
    if (!array || array.length < length) {
      array = new Float32Array(length);
      this.arrays.set(name, array);
    }
    return array.length === length ? array : array.subarray(0, length);
  }
}

type RowData = Float32Array | BigInt64Array;

/** Rows of a tensor's first dimension, copied in the order `rows` names them (a row may repeat), into `into` when given. */
export function gatherRows(t: ort.Tensor, rows: readonly number[], into?: RowData): ort.Tensor {
  const per = t.size / t.dims[0]!;
  const data = t.data as RowData;
  const out = into ?? new (data.constructor as Float32ArrayConstructor | BigInt64ArrayConstructor)(rows.length * per);
  rows.forEach((src, i) => (out as Float32Array).set((data as Float32Array).subarray(src * per, (src + 1) * per), i * per));
  return new ort.Tensor(t.type as 'float32', out as Float32Array, [rows.length, ...t.dims.slice(1)]);
}

/** gatherRows over each tensor of a record of feeds. */
export function gatherFeeds(feeds: Record<string, ort.Tensor>, rows: readonly number[]): Record<string, ort.Tensor> {
  return Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, gatherRows(t, rows)]));
}

/**
 * Gathers a beam search's cache rows each step. The cache is the largest thing a step copies
 * (hundreds of MB at BLIP-2's shapes), so rows are moved in place in the decoder's own output
 * wherever the batch does not grow: a beam that continues its own row is not copied at all, and only
 * rows that are overwritten while another row still needs them are saved first. When the batch grows
 * (each question's first row becoming its beams), rows go to buffers reused every other step.
 */
export class RowGatherer {
  private readonly sets = [new Map<string, RowData>(), new Map<string, RowData>()];
  private turn = 0;

  gather(feeds: Record<string, ort.Tensor>, rows: readonly number[]): Record<string, ort.Tensor> {
    this.turn ^= 1;
    const out: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      out[name] = rows.length <= t.dims[0]! ? gatherInPlace(t, rows) : gatherRows(t, rows, this.buffer(name, t, rows.length));
    }
    return out;
  }

  private buffer(name: string, t: ort.Tensor, rows: number): RowData {
    const buffers = this.sets[this.turn]!;
    const length = (t.size / t.dims[0]!) * rows;
    let buffer = buffers.get(name);
    if (!buffer || buffer.length < length || buffer.constructor !== t.data.constructor) {
      // room to grow: the cache gains a position per step
      buffer = new (t.data.constructor as Float32ArrayConstructor | BigInt64ArrayConstructor)(Math.ceil(length * 1.3));
      buffers.set(name, buffer);
    }
    return buffer.subarray(0, length);
  }
}

/** Row i of the result is row rows[i] of `t`, built in t's own data (which nobody reads after). */
function gatherInPlace(t: ort.Tensor, rows: readonly number[]): ort.Tensor {
  const per = t.size / t.dims[0]!;
  const data = t.data as Float32Array;
  const overwritten = (r: number) => r < rows.length && rows[r] !== r;
  const saved = new Map<number, Float32Array>();
  // a source row read by a later destination must be kept before its own place is written
  rows.forEach((src, i) => {
    if (src !== i && src < i && overwritten(src) && !saved.has(src)) saved.set(src, data.slice(src * per, (src + 1) * per));
  });
  rows.forEach((src, i) => {
    if (src !== i) data.set(saved.get(src) ?? data.subarray(src * per, (src + 1) * per), i * per);
  });
  return new ort.Tensor(t.type as 'float32', data.subarray(0, rows.length * per), [rows.length, ...t.dims.slice(1)]);
}

/** [batch, width] attention mask: 1 everywhere except each row's hole of padding. */
export function attentionMask(holes: readonly { at: number; length: number }[], width: number): ort.Tensor {
  const mask = new BigInt64Array(holes.length * width).fill(1n);
  for (const [i, h] of holes.entries()) mask.fill(0n, i * width + h.at, i * width + h.at + h.length);
  return new ort.Tensor('int64', mask, [holes.length, width]);
}
