import { XfError } from '../lib/errors.js';

/** oclif has no float flag: parsed here, refused as usage errors. */
export function probability(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!(v > 0 && v < 1))
    throw new XfError('E_USAGE', `${flag} must be a number between 0 and 1, got "${text}"`, { suggestion: `e.g. ${flag} 0.01` });
  return v;
}

export function nonNegative(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!(v >= 0) || text.trim() === '') throw new XfError('E_USAGE', `${flag} must be a number of 0 or more, got "${text}"`);
  return v;
}
