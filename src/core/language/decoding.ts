import type * as ort from 'onnxruntime-node';
import type { VisualTokens } from '../vision/vision-tower.js';
import type { CacheResidence } from './cache-residence.js';
import type { GenerationSettings } from './generation.js';
import type { ImagePrefix } from './kv-layout.js';
import type { PromptEncoder } from './prompts.js';

export interface GenerationRequest {
  prefix: ImagePrefix;
  question: string;
}

export interface Generation {
  text: string;
  tokenIds: number[];
  /** Logits of the first generated position, for parity checks. */
  firstLogits: Float32Array;
}

export type DecoderResult = ort.InferenceSession.ReturnType;

/**
 * A batch of questions being answered, whatever the LM's architecture: the decoding strategies
 * (greedy, beam search) choose tokens; the batch runs the decoder calls and keeps the caches.
 */
export interface DecodingBatch {
  /** The first decoder call: row i holds request i's logits for its first generated token. */
  first(): Promise<DecoderResult>;
  /**
   * The next call: row r feeds `tokens[r]` for request `requestOf[r]`, continuing the cache of row
   * `sources[r]` of `previous` (row r itself when `sources` is omitted), at generated position `step + 1`.
   */
  next(
    previous: DecoderResult,
    tokens: readonly number[],
    requestOf: readonly number[],
    step: number,
    sources?: readonly number[],
  ): Promise<DecoderResult>;
  logits(result: DecoderResult): ort.Tensor;
  /** Frees the cache the last call left in device memory. */
  finish(last: DecoderResult): void;
}

/** A step's past cache, and its gathered copy where rows moved, once the step no longer needs them. */
export function releaseCaches(cache: CacheResidence, past: Record<string, ort.Tensor>, fed: Record<string, ort.Tensor>): void {
  cache.release(Object.values(past));
  if (fed !== past) cache.release(Object.values(fed));
}

/** The language side of a model: what it keeps per image, and how it starts answering questions. */
export interface LanguageSide {
  prefixes(visuals: readonly VisualTokens[]): Promise<ImagePrefix[]>;
  startBatch(prompts: PromptEncoder, gen: GenerationSettings, requests: readonly GenerationRequest[]): Promise<DecodingBatch>;
}

/** The logits of a batch row's last position. */
export function lastLogits(logits: ort.Tensor, row: number): Float32Array {
  const [, t, v] = logits.dims as [number, number, number];
  const start = (row * t + t - 1) * v;
  return (logits.data as Float32Array).subarray(start, start + v);
}

export function cutAtStop(text: string, stops: readonly string[]): string {
  for (const s of stops) {
    const at = text.indexOf(s);
    if (at >= 0) text = text.slice(0, at);
  }
  return text;
}
