import { readdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { XfError } from '../../lib/errors.js';
import { parseJson, readBytes, sha256Text, validate } from '../../lib/files.js';
import type { AnswerFile } from '../types.js';
import { AnswerCollector, firstRecord, isDir } from './collect.js';

const popeAnswer = z
  .object({ question_id: z.union([z.string(), z.number()]), text: z.string().optional(), answer: z.string().optional() })
  .refine((a) => a.text !== undefined || a.answer !== undefined, 'needs "text" or "answer"');
const POPE_SPLITS = ['random', 'popular', 'adversarial'];

/**
 * POPE answer files, one JSON line per question with its question_id and the answer as `text` (as
 * LLaVA's POPE evaluation writes them) or `answer`; one file per split, named after it (a folder of
 * them, or one). Question ids repeat across splits, so the split comes from the file's name.
 */
export async function readPopeAnswers(target: string): Promise<AnswerFile | undefined> {
  const files = isDir(target)
    ? readdirSync(target)
        .filter((f) => /\.jsonl?$/.test(f))
        .sort()
        .map((f) => path.join(target, f))
    : [target];
  const answers = new AnswerCollector(target);
  const hashes: string[] = [];
  for (const file of files) {
    const bytes = await readBytes(file, 'POPE answer file');
    const first = firstRecord(bytes.toString('utf8'));
    // a questions file (it has the gold label) or a generic {id, prediction} file is not an answer file
    if (!first || !('question_id' in first) || 'prediction' in first || 'label' in first || !('text' in first || 'answer' in first))
      return undefined;
    const split = POPE_SPLITS.find((s) => path.basename(file).toLowerCase().includes(s));
    if (!split)
      throw new XfError('E_SCHEMA', `the file's name does not say its split (${POPE_SPLITS.join(', ')})`, {
        file,
        suggestion: 'Name each answer file after its split, e.g. answers_random.jsonl.',
      });
    hashes.push(`${path.basename(file)}:${sha256Text(bytes)}`);
    bytes
      .toString('utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.trim() === '') return;
        const a = validate(popeAnswer, parseJson(line, `${file}:${i + 1}`), file, `line ${i + 1}`);
        answers.put(`${split}/${String(a.question_id)}`, a.text ?? a.answer!, `line ${i + 1}`, file);
      });
  }
  if (answers.byId.size === 0) return undefined;
  return answers.finish('pope-answers', sha256Text(hashes.join('\n')));
}
