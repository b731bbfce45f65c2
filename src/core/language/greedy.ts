import type * as ort from 'onnxruntime-node';
import { cutAtStop, DecodingBatch, lastLogits, type Generation, type GenerationRequest } from './decoding.js';
import type { GenerationSettings } from './generation.js';
import type { LanguageModel } from './language-model.js';
import type { PromptEncoder } from './prompts.js';

/** Argmax over a row, with the end tokens barred when `noEnd`; the first maximum wins, as torch.argmax. */
function argmax(row: Float32Array, noEnd: boolean, endIds: readonly number[]): number {
  let best = -1;
  for (let i = 0; i < row.length; i++) {
    if (noEnd && endIds.includes(i)) continue;
    if (best < 0 || row[i]! > row[best]!) best = i;
  }
  return best;
}

/**
 * Greedy decoding with the key/value cache for several questions at once, each on its image's
 * prefix: one prefill call over the left-padded prompts, then one call per generated position for
 * the whole batch. Padding is masked out and positions skip it, so every row computes what it
 * would alone. As transformers' greedy search: end tokens are barred for the first minNewTokens.
 */
export async function decodeGreedy(lm: LanguageModel, prompts: PromptEncoder, gen: GenerationSettings, requests: readonly GenerationRequest[]): Promise<Generation[]> {
  const tokenizer = prompts.tokenizer;
  const batch = await DecodingBatch.start(lm, prompts, gen, requests);
  const outputs = requests.map(() => ({ ids: [] as number[], done: false, firstLogits: undefined as Float32Array | undefined }));
  const everyRow = requests.map((_, i) => i);
  let result = await batch.prefill(requests);
  for (let step = 0; ; step++) {
    const logits = result[lm.spec.logits]!;
    const next: number[] = [];
    for (const [i, out] of outputs.entries()) {
      const row = lastLogits(logits, i);
      const id = argmax(row, step < gen.minNewTokens, gen.endIds);
      next.push(out.done ? gen.endIds[0]! : id);
      if (out.done) continue;
      out.firstLogits ??= Float32Array.from(row);
      if (gen.endIds.includes(id)) {
        out.done = true;
        continue;
      }
      out.ids.push(id);
      if (out.ids.length >= gen.maxNewTokens) out.done = true;
      else if (gen.stop.length > 0 && gen.stop.some((s) => tokenizer.decode(out.ids).includes(s))) out.done = true;
    }
    if (outputs.every((o) => o.done)) break;
    const feeds: Record<string, ort.Tensor> = await batch.stepFeeds(next, everyRow, step, lm.kv.presentAsPast(result));
    result = await lm.step(feeds);
  }
  return outputs.map((o) => ({ text: cutAtStop(tokenizer.decode(o.ids), gen.stop), tokenIds: o.ids, firstLogits: o.firstLogits! }));
}
