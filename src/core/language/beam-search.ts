import type * as ort from 'onnxruntime-node';
import { BeamHypotheses } from './beam-hypotheses.js';
import { cutAtStop, lastLogits, type DecodingBatch, type Generation } from './decoding.js';
import type { GenerationSettings } from './generation.js';
import type { LogitsHead, TopLogits } from './logits-head.js';
import type { BundleTokenizer } from './tokenizer.js';

interface Beam {
  tokens: number[];
  /** Sum of log-probabilities, in float32 as transformers keeps it. */
  score: number;
  /** The batch row holding this beam's keys and values. */
  row: number;
}

interface Candidate {
  score: number;
  beam: number;
  token: number;
}

interface QuestionSearch {
  beams: Beam[];
  hypotheses: BeamHypotheses;
  done: boolean;
  firstLogits?: Float32Array;
}

/**
 * The best `keep` of beam score + log-probability over every beam's vocabulary, best first; of equal
 * scores the lower (beam, token) index first, as torch.topk orders them on CPU. Each score is what
 * transformers computes in float32: log_softmax (with end tokens barred for the first minNewTokens,
 * its min-new-tokens processor), plus the beam's score. Only each beam's best logits are looked at
 * (`top`, from the logits head: keep plus the end tokens, so barring them still leaves keep): the
 * best `keep` over all beams are among them.
 */
function topCandidates(
  search: QuestionSearch,
  top: TopLogits,
  logits: ort.Tensor,
  gen: GenerationSettings,
  step: number,
  keep: number,
): Candidate[] {
  const best: Candidate[] = [];
  const barred = step < gen.minNewTokens ? gen.endIds : [];
  let worst = -Infinity;
  for (const [b, beam] of search.beams.entries()) {
    if (step === 0) search.firstLogits = Float32Array.from(lastLogits(logits, beam.row));
    const base = beam.row * top.k;
    const max = top.logits[base]!;
    const lse = top.logNorm[beam.row]!;
    for (let j = 0; j < top.k; j++) {
      const logp = Math.fround(Math.fround(top.logits[base + j]! - max) - lse);
      const score = Math.fround(beam.score + logp);
      // a beam's logits come largest first: none after this one can do better
      if (best.length === keep && !(score > worst)) break;
      const token = Number(top.ids[base + j]!);
      if (barred.length > 0 && barred.includes(token)) continue;
      let at = best.length;
      while (
        at > 0 &&
        (best[at - 1]!.score < score || (best[at - 1]!.score === score && best[at - 1]!.beam === b && best[at - 1]!.token > token))
      )
        at--;
      best.splice(at, 0, { score, beam: b, token });
      if (best.length > keep) best.pop();
      if (best.length === keep) worst = best[keep - 1]!.score;
    }
  }
  return best;
}

/**
 * One step of transformers' BeamSearchScorer.process for one question: candidates that end the
 * answer become hypotheses (if ranked within numBeams), the best others become the next beams.
 */
function advance(
  search: QuestionSearch,
  candidates: Candidate[],
  gen: GenerationSettings,
  step: number,
): { beam: number; token: number; score: number }[] {
  const next: { beam: number; token: number; score: number }[] = [];
  for (const [rank, c] of candidates.entries()) {
    if (gen.endIds.includes(c.token)) {
      if (rank < gen.numBeams) search.hypotheses.add(search.beams[c.beam]!.tokens, c.score, step + 1);
    } else {
      next.push(c);
    }
    if (next.length === gen.numBeams) break;
  }
  search.done ||= search.hypotheses.isDone(candidates[0]!.score, step + 1);
  return next;
}

/**
 * Beam search as transformers' generate runs it (num_beams > 1, no sampling, early_stopping=False):
 * log-softmax scores summed along each beam, the top 2 x numBeams candidates (more with several end
 * tokens) each step, finished hypotheses ranked with the length penalty. Several questions at once:
 * the first call runs one row per question (its beams all start there), then each step runs every
 * unfinished question's beams as rows of one batch. A finished question leaves the batch; its answer
 * is what it would be alone.
 */
export async function decodeBeams(
  batch: DecodingBatch,
  tokenizer: BundleTokenizer,
  gen: GenerationSettings,
  count: number,
  head: LogitsHead,
): Promise<Generation[]> {
  const keep = Math.max(2, 1 + gen.endIds.length) * gen.numBeams;
  const searches: QuestionSearch[] = Array.from({ length: count }, (_, i) => ({
    beams: [{ tokens: [], score: 0, row: i }],
    hypotheses: new BeamHypotheses(gen.numBeams, gen.lengthPenalty),
    done: false,
  }));
  let result = await batch.first();
  try {
    for (let step = 0; ; step++) {
      const logits = batch.logits(result);
      const top = await head.top(logits, keep + gen.endIds.length);
      const tokens: number[] = [];
      const requestOf: number[] = [];
      const sources: number[] = [];
      const last = step + 1 >= gen.maxNewTokens;
      for (const [i, search] of searches.entries()) {
        if (search.done) continue;
        const next = advance(search, topCandidates(search, top, logits, gen, step, keep), gen, step);
        const beams = next.map((c) => ({
          tokens: [...search.beams[c.beam]!.tokens, c.token],
          score: c.score,
          row: -1,
          source: search.beams[c.beam]!.row,
        }));
        if (last && !search.done) {
          // transformers' finalize: the running beams join the hypotheses at the maximum length
          for (const b of beams) search.hypotheses.add(b.tokens, b.score, b.tokens.length);
        }
        if (last || search.done) continue;
        search.beams = beams.map((b) => {
          const row = tokens.length;
          tokens.push(b.tokens.at(-1)!);
          requestOf.push(i);
          sources.push(b.source);
          return { tokens: b.tokens, score: b.score, row };
        });
      }
      if (tokens.length === 0) break;
      result = await batch.next(result, tokens, requestOf, step, sources);
    }
  } finally {
    batch.finish(result);
  }
  return searches.map((s) => {
    const ids = s.hypotheses.best();
    return { text: cutAtStop(tokenizer.decode(ids), gen.stop), tokenIds: ids, firstLogits: s.firstLogits! };
  });
}
