import * as ort from 'onnxruntime-node';
import { CacheNames } from '../bundle/cache-names.js';
import type { Manifest } from '../bundle/manifest.js';
import { ScratchArrays, stackRows } from '../tensors.js';

/**
 * What the LM keeps of one image for every question about it. A decoder-only LM: its keys and values
 * over the visual tokens. An encoder-decoder LM, whose encoder reads the visual tokens together with
 * each prompt: the visual tokens themselves.
 */
export interface ImagePrefix {
  /** Positions it occupies: the number of visual tokens. */
  length: number;
  /** Per past-key/value input name: [1, heads, length, headDim] (decoder-only; empty otherwise). */
  past: Record<string, Float32Array>;
  /** The visual tokens, [length, hiddenSize] flat (encoder-decoder). */
  visual?: Float32Array;
}

/**
 * The shapes of the decoder's key/value cache, as the manifest declares them: past inputs and present
 * outputs per layer, [batch, heads, positions, headDim] each (their names: CacheNames).
 */
export class KvLayout extends CacheNames {
  constructor(private readonly spec: Manifest['lm']['cache']) {
    super(spec);
  }

  /** A cache of no positions, for the first call. */
  empty(batch: number): Record<string, ort.Tensor> {
    const c = this.spec;
    return Object.fromEntries(
      this.pastNames().map((n) => [n, new ort.Tensor('float32', new Float32Array(0), [batch, c.heads, 0, c.headDim])]),
    );
  }

  /** A call's present keys and values, renamed as the next call's past. */
  presentAsPast(result: ort.InferenceSession.ReturnType): Record<string, ort.Tensor> {
    const past: Record<string, ort.Tensor> = {};
    const present = this.presentNames();
    this.pastNames().forEach((name, i) => {
      past[name] = result[present[i]!]!;
    });
    return past;
  }

  /** Row `i` of a batch's cache of `length` positions, as one image's prefix. */
  rowsOf(past: Record<string, ort.Tensor>, batch: number, length: number): ImagePrefix[] {
    const perRow = this.spec.heads * length * this.spec.headDim;
    return Array.from({ length: batch }, (_, i) => ({
      length,
      past: Object.fromEntries(
        Object.entries(past).map(([name, t]) => [name, (t.data as Float32Array).slice(i * perRow, (i + 1) * perRow)]),
      ),
    }));
  }

  /** Each row's image prefix, stacked into the batch's past keys and values (in `scratch`'s arrays if given). */
  stack(prefixes: readonly ImagePrefix[], scratch: ScratchArrays | undefined): Record<string, ort.Tensor> {
    const n = prefixes[0]!.length;
    const past: Record<string, ort.Tensor> = {};
    for (const name of Object.keys(prefixes[0]!.past)) {
      const rows = prefixes.map((p) => p.past[name]!);
      const into = scratch?.get(name, rows.length * rows[0]!.length);
      past[name] = new ort.Tensor('float32', stackRows(rows, into), [prefixes.length, this.spec.heads, n, this.spec.headDim]);
    }
    return past;
  }
}
