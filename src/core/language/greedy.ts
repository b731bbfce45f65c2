import type * as ort from 'onnxruntime-node';
import type { Manifest } from '../bundle/manifest.js';
import type { ImagePrefix } from './kv-layout.js';
import { attentionMask, type LanguageModel } from './language-model.js';
import type { PromptEncoder } from './prompts.js';
import { int64 } from '../tensors.js';

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

/** Argmax over the last position of one batch row; the first maximum wins, as torch.argmax. */
function argmaxLast(logits: ort.Tensor, rowIndex: number): { id: number; row: Float32Array } {
  const [, t, v] = logits.dims as [number, number, number];
  const start = (rowIndex * t + t - 1) * v;
  const row = (logits.data as Float32Array).subarray(start, start + v);
  let best = 0;
  for (let i = 1; i < v; i++) if (row[i]! > row[best]!) best = i;
  return { id: best, row };
}

function cutAtStop(text: string, stops: readonly string[]): string {
  for (const s of stops) {
    const at = text.indexOf(s);
    if (at >= 0) text = text.slice(0, at);
  }
  return text;
}

/**
 * Greedy decoding with the key/value cache for several questions at once, each on its image's
 * prefix: one prefill call over the left-padded prompts, then one call per generated position for
 * the whole batch. Padding is masked out and positions skip it, so every row computes what it
 * would alone.
 */
export async function decodeGreedy(lm: LanguageModel, prompts: PromptEncoder, gen: Manifest['generation'], requests: readonly GenerationRequest[]): Promise<Generation[]> {
  const tokenizer = prompts.tokenizer;
  const prefix = requests[0]!.prefix.length;
  if (requests.some((r) => r.prefix.length !== prefix)) throw new Error('prefixes of different lengths in one batch');
  const rows = await lm.embedPrompts(requests.map((r) => prompts.ids(r.question)), prefix, tokenizer.padId);
  if (rows.prefix + rows.width + gen.maxNewTokens > lm.spec.maxPositions) {
    throw new Error(`prompt of ${rows.prefix + rows.width} positions plus ${gen.maxNewTokens} new tokens exceeds the LM's ${lm.spec.maxPositions}`);
  }
  const inputs = lm.spec.inputs;
  const batch = requests.length;
  const holes = rows.padding.map((length) => ({ at: rows.prefix, length }));
  const outputs = requests.map(() => ({ ids: [] as number[], done: false, firstLogits: undefined as Float32Array | undefined }));
  let feeds: Record<string, ort.Tensor> = {
    [inputs.embeds]: rows.embeds,
    [inputs.attentionMask]: attentionMask(holes, rows.prefix + rows.width),
    [inputs.positionIds]: rows.positions,
  };
  for (let step = 0, width = rows.prefix + rows.width; ; step++) {
    const result = step === 0 ? await lm.prefill(feeds, requests.map((r) => r.prefix)) : await lm.step(feeds);
    const logits = result[lm.spec.logits]!;
    const next: number[] = [];
    for (const [i, out] of outputs.entries()) {
      const { id, row } = argmaxLast(logits, i);
      next.push(out.done ? tokenizer.eosId : id);
      if (out.done) continue;
      out.firstLogits ??= Float32Array.from(row);
      if (id === tokenizer.eosId || step === gen.maxNewTokens) {
        out.done = true;
        continue;
      }
      out.ids.push(id);
      if (gen.stop.length > 0 && gen.stop.some((s) => tokenizer.decode(out.ids).includes(s))) out.done = true;
    }
    if (outputs.every((o) => o.done)) break;
    feeds = {
      [inputs.embeds]: await lm.embedIds(next, [batch, 1]),
      [inputs.attentionMask]: attentionMask(holes, width + 1),
      [inputs.positionIds]: int64(rows.lengths.map((n) => rows.prefix + n + step), [batch, 1]),
      ...lm.kv.presentAsPast(result),
    };
    width += 1;
  }
  return outputs.map((o) => ({ text: cutAtStop(tokenizer.decode(o.ids), gen.stop), tokenIds: o.ids, firstLogits: o.firstLogits! }));
}
