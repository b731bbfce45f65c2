/**
 * The finished hypotheses of one question's beam search, kept as transformers' BeamHypotheses keeps
 * them (early_stopping=False, its default): at most numBeams, ranked by sum of log-probabilities /
 * length ** lengthPenalty, with the same order on ties, so the same answer wins.
 */
export class BeamHypotheses {
  private readonly beams: { score: number; tokens: number[] }[] = [];
  private worst = 1e9;

  constructor(
    private readonly numBeams: number,
    private readonly lengthPenalty: number,
  ) {}

  get size(): number {
    return this.beams.length;
  }

  add(tokens: number[], sumLogprobs: number, generatedLength: number): void {
    const score = sumLogprobs / generatedLength ** this.lengthPenalty;
    if (this.beams.length < this.numBeams || score > this.worst) {
      this.beams.push({ score, tokens });
      if (this.beams.length > this.numBeams) {
        // the lowest score goes, the earliest of equal ones first (Python's sort of (score, index) pairs)
        const order = this.beams.map((b, i) => ({ score: b.score, i })).sort((a, b) => a.score - b.score || a.i - b.i);
        this.beams.splice(order[0]!.i, 1);
        this.worst = order[1]!.score;
      } else {
        this.worst = Math.min(score, this.worst);
      }
    }
  }

  /** Whether no running beam can still beat the worst kept hypothesis (transformers' heuristic at the current length). */
  isDone(bestSumLogprobs: number, currentLength: number): boolean {
    if (this.beams.length < this.numBeams) return false;
    return this.worst >= bestSumLogprobs / currentLength ** this.lengthPenalty;
  }

  /** The winner: the highest score, and of equal ones the last added (a stable sort, then pop). */
  best(): number[] {
    let best = this.beams[0]!;
    for (const b of this.beams) if (b.score >= best.score) best = b;
    return best.tokens;
  }
}
