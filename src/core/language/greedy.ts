import { cutAtStop, lastLogits, type DecodingBatch, type Generation } from './decoding.js';
import type { GenerationSettings } from './generation.js';
import type { BundleTokenizer } from './tokenizer.js';

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
 * Greedy decoding for a batch of `count` questions: one row per question, one decoder call per
 * generated position for the whole batch, a finished row fed an end token until all are done. As
 * transformers' greedy search: end tokens are barred for the first minNewTokens.
 */
export async function decodeGreedy(
  batch: DecodingBatch,
  tokenizer: BundleTokenizer,
  gen: GenerationSettings,
  count: number,
): Promise<Generation[]> {
  const outputs = Array.from({ length: count }, () => ({
    ids: [] as number[],
    done: false,
    firstLogits: undefined as Float32Array | undefined,
  }));
  const everyRow = outputs.map((_, i) => i);
  let result = await batch.first();
  try {
    for (let step = 0; ; step++) {
      const logits = batch.logits(result);
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
      result = await batch.next(result, next, everyRow, step);
    }
  } finally {
    batch.finish(result);
  }
  return outputs.map((o) => ({ text: cutAtStop(tokenizer.decode(o.ids), gen.stop), tokenIds: o.ids, firstLogits: o.firstLogits! }));
}
