import { Tokenizer } from '@huggingface/tokenizers';
import { XfError } from '../../lib/errors.js';
import { parseJson, readBytes } from '../../lib/files.js';

export interface TokenizerOptions {
  addSpecialTokens: boolean;
  cleanUpSpaces: boolean;
}

/** transformers' clean_up_tokenization (decode's clean_up_tokenization_spaces): these replacements, in this order. */
export function cleanUpTokenizationSpaces(text: string): string {
  const rules: [string, string][] = [
    [' .', '.'],
    [' ?', '?'],
    [' !', '!'],
    [' ,', ','],
    [" ' ", "'"],
    [" n't", "n't"],
    [" 'm", "'m"],
    [" 's", "'s"],
    [" 've", "'ve"],
    [" 're", "'re"],
  ];
  return rules.reduce((t, [from, to]) => t.split(from).join(to), text);
}

/** The bundle's Hugging Face tokenizer.json, loaded with the pure-JS tokenizers port. */
export class BundleTokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    readonly eosId: number,
    readonly padId: number,
    private readonly options: TokenizerOptions,
  ) {}

  static async load(
    file: string,
    eosToken: string,
    padToken: string,
    options: TokenizerOptions = { addSpecialTokens: false, cleanUpSpaces: false },
  ): Promise<BundleTokenizer> {
    const json = parseJson((await readBytes(file, 'tokenizer')).toString('utf8'), file);
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(json as object, {});
    } catch (err) {
      throw new XfError('E_TOKENIZER', `unsupported tokenizer.json (${(err as Error).message})`, { file });
    }
    const eosId = tokenizer.token_to_id(eosToken);
    const padId = tokenizer.token_to_id(padToken);
    if (eosId === undefined)
      throw new XfError('E_TOKENIZER', `EOS token "${eosToken}" is not in the vocabulary`, { file, field: 'tokenizer.eosToken' });
    if (padId === undefined)
      throw new XfError('E_TOKENIZER', `pad token "${padToken}" is not in the vocabulary`, { file, field: 'tokenizer.padToken' });
    return new BundleTokenizer(tokenizer, eosId, padId, options);
  }

  /** Ids in the vocabulary, added tokens included. */
  get vocabSize(): number {
    return this.tokenizer.get_vocab(true).size;
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: this.options.addSpecialTokens }).ids;
  }

  /** The text of generated ids; none (the first token ended the answer) is the empty answer, a valid (wrong) prediction. */
  decode(ids: number[]): string {
    // tokenizers.js refuses an empty id list
    if (ids.length === 0) return '';
    const text = this.tokenizer.decode(ids, { skip_special_tokens: true });
    return this.options.cleanUpSpaces ? cleanUpTokenizationSpaces(text) : text;
  }
}
