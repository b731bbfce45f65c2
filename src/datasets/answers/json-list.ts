import type { z } from 'zod';
import { XfError } from '../../lib/errors.js';
import { checkedFile, validate } from '../../lib/files.js';
import { streamJsonMembers } from '../../lib/json-stream.js';
import type { AnswerFile } from '../types.js';
import { AnswerCollector } from './collect.js';

/** A benchmark's answer file that is one JSON list of records, such as GQA's or VQA's official ones. */
export interface JsonListLayout<T> {
  format: string;
  /** The record, validated. */
  item: z.ZodType<T>;
  /** Whether the first record is in this layout (else the file is someone else's, and undefined is returned). */
  recognises(first: Record<string, unknown>): boolean;
  id(item: T): string;
  answer(item: T): string;
}

/**
 * Reads a JSON list of answer records as it streams (a million answers never become one string), or
 * returns undefined when the file is not a list in this layout.
 */
export async function readJsonListAnswers<T>(file: string, layout: JsonListLayout<T>): Promise<AnswerFile | undefined> {
  if (!file.toLowerCase().endsWith('.json')) return undefined;
  const answers = new AnswerCollector(file);
  let digest = '';
  for await (const { key, value } of streamJsonMembers(await checkedFile(file, 'predictions file'), {
    onDone: (h) => {
      digest = h;
    },
  })) {
    if (key === 0 && (typeof value !== 'object' || value === null || !layout.recognises(value as Record<string, unknown>)))
      return undefined;
    if (typeof key !== 'number') return undefined; // an object, not a list
    const item = validate(layout.item, value, file, `[${key}]`);
    answers.put(layout.id(item), layout.answer(item), `[${key}]`);
  }
  if (answers.byId.size === 0) throw new XfError('E_EMPTY_PREDICTIONS', 'the predictions file holds no predictions', { file });
  return answers.finish(layout.format, digest);
}
