import { cutAtStop, lastLogits, type DecodingBatch, type Generation } from './decoding.js';
import type { GenerationSettings } from './generation.js';
import type { LogitsHead, TopLogits } from './logits-head.js';
import type { BundleTokenizer } from './tokenizer.js';

/**
 * Row `row`'s best token, with the end tokens barred when `noEnd`: the first of its best logits (the
 * logits head's, largest first and of equal ones the lower id first: torch.argmax's first maximum)
 * that is not barred.
 */
function argmax(top: TopLogits, row: number, noEnd: boolean, endIds: readonly number[]): number {
  for (let j = 0; j < top.k; j++) {
    const token = Number(top.ids[row * top.k + j]!);
    if (!(noEnd && endIds.includes(token))) return token;
  }
  throw new Error('every candidate token is barred');
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
  head: LogitsHead,
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
      const top = await head.top(logits, 1 + gen.endIds.length);
      const next: number[] = [];
      for (const [i, out] of outputs.entries()) {
        const id = argmax(top, i, step < gen.minNewTokens, gen.endIds);
        next.push(out.done ? gen.endIds[0]! : id);
        if (out.done) continue;
        out.firstLogits ??= Float32Array.from(lastLogits(logits, i));
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
