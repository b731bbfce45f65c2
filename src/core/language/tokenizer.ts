import { Tokenizer } from '@huggingface/tokenizers';
import { XfError } from '../../lib/errors.js';
import { parseJson, readBytes } from '../../lib/files.js';

/** The bundle's Hugging Face tokenizer.json, loaded with the pure-JS tokenizers port. */
export class BundleTokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    readonly eosId: number,
    readonly padId: number,
  ) {}

  static async load(file: string, eosToken: string, padToken: string): Promise<BundleTokenizer> {
    const json = parseJson((await readBytes(file, 'tokenizer')).toString('utf8'), file);
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(json as object, {});
    } catch (err) {
      throw new XfError('E_TOKENIZER', `unsupported tokenizer.json (${(err as Error).message})`, { file });
    }
    const eosId = tokenizer.token_to_id(eosToken);
    const padId = tokenizer.token_to_id(padToken);
    if (eosId === undefined) throw new XfError('E_TOKENIZER', `EOS token "${eosToken}" is not in the vocabulary`, { file, field: 'tokenizer.eosToken' });
    if (padId === undefined) throw new XfError('E_TOKENIZER', `pad token "${padToken}" is not in the vocabulary`, { file, field: 'tokenizer.padToken' });
    return new BundleTokenizer(tokenizer, eosId, padId);
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** The text of generated ids; none (the first token ended the answer) is the empty answer, a valid (wrong) prediction. */
  decode(ids: number[]): string {
    // tokenizers.js refuses an empty id list
    return ids.length === 0 ? '' : this.tokenizer.decode(ids, { skip_special_tokens: true });
  }
}
