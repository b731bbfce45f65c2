import type { Manifest } from '../bundle/manifest.js';
import { XfError } from '../../lib/errors.js';
import type { BundleTokenizer } from './tokenizer.js';

/** The decoding settings a run uses: the bundle's, with `run --num-beams/--max-new-tokens` on top. */
export interface GenerationSettings {
  numBeams: number;
  maxNewTokens: number;
  minNewTokens: number;
  lengthPenalty: number;
  /** Token ids that end an answer. */
  endIds: number[];
  /** Strings that end an answer (the text is cut there). */
  stop: string[];
}

export interface GenerationOverrides {
  numBeams?: number;
  maxNewTokens?: number;
  /** From an evaluation protocol (protocols/*.json). */
  minNewTokens?: number;
  lengthPenalty?: number;
}

export function resolveGeneration(
  spec: Manifest['generation'],
  tokenizer: BundleTokenizer,
  overrides: GenerationOverrides = {},
  file?: string,
): GenerationSettings {
  const settings: GenerationSettings = {
    numBeams: overrides.numBeams ?? spec.numBeams,
    maxNewTokens: overrides.maxNewTokens ?? spec.maxNewTokens,
    minNewTokens: overrides.minNewTokens ?? spec.minNewTokens,
    lengthPenalty: overrides.lengthPenalty ?? spec.lengthPenalty,
    endIds: spec.endTokenIds ?? [tokenizer.eosId],
    stop: spec.stop,
  };
  if (settings.minNewTokens > settings.maxNewTokens) {
    throw new XfError(
      'E_FLAGS',
      `at most ${settings.maxNewTokens} new tokens is fewer than the bundle's minimum of ${settings.minNewTokens}`,
      {
        file,
        field: 'generation.minNewTokens',
        suggestion: `Pass --max-new-tokens ${settings.minNewTokens} or more.`,
      },
    );
  }
  const vocab = tokenizer.vocabSize;
  if (settings.endIds.some((id) => id >= vocab)) {
    throw new XfError('E_MANIFEST', `an end token id in ${JSON.stringify(settings.endIds)} is outside the vocabulary of ${vocab}`, {
      file,
      field: 'generation.endTokenIds',
    });
  }
  return settings;
}
