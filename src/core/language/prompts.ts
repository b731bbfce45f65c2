import type { BundleTokenizer } from './tokenizer.js';

/** Distinct question texts whose prompt ids are kept (a few MB at most). */
const PROMPT_CACHE_ENTRIES = 16_384;

/** The manifest's prompt template around a question, tokenized. */
export class PromptEncoder {
  private readonly idCache = new Map<string, number[]>();

  constructor(
    private readonly template: string,
    readonly tokenizer: BundleTokenizer,
    /** An evaluation protocol's question processing (lowercasing, punctuation, …); none by default. */
    private readonly processQuestion: (question: string) => string = (q) => q,
  ) {}

  /** The exact text given to the LM for a question. */
  prompt(question: string): string {
    // a function, not a string: a question holding "$&" or "$'" must not be read as a replacement pattern
    return this.template.replace('{question}', () => this.processQuestion(question));
  }

  /**
   * The prompt's token ids, memoised: benchmarks repeat question texts (half of gqa-mini's questions
   * are asked of several images), and tokenizing is most of the harness's own time per question.
   */
  ids(question: string): number[] {
    let ids = this.idCache.get(question);
    if (!ids) {
      if (this.idCache.size >= PROMPT_CACHE_ENTRIES) this.idCache.clear();
      ids = this.tokenizer.encode(this.prompt(question));
      this.idCache.set(question, ids);
    }
    return ids;
  }
}
