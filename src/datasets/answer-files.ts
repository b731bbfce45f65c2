import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { XfError } from '../lib/errors.js';
import { parseJson, readBytes, sha256Text, validate } from '../lib/files.js';
import type { AnswerFile, Sample } from './types.js';

/**
 * Answer files that benchmarks' own evaluation code writes, mapped onto xfbench's samples. Each reader
 * returns undefined for a file that is not in its layout, so `score` can try the generic ones.
 */

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/** The first record of a JSON list or a JSON-lines file, or undefined when the text is neither. */
function firstRecord(text: string): Record<string, unknown> | undefined {
  const t = text.trimStart();
  try {
    if (t.startsWith('[')) return (JSON.parse(t) as unknown[])[0] as Record<string, unknown> | undefined;
    return JSON.parse(t.split('\n')[0]!) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

const gvtRecord = z.object({ pred: z.string(), gt: z.union([z.string(), z.number()]), image_id: z.union([z.string(), z.number()]) });

/**
 * GVTBench's prediction records, `[{pred, gt, image_id, …}]` as its count and multiclass evaluators
 * save them. They carry no question, so each goes to a sample with its image and gold answer, in
 * order; samples that share both are scored alike (same gold, same image, same bins), so which one a
 * record lands on does not change a figure.
 */
export async function readGvtAnswers(file: string, samples: () => AsyncIterable<Sample>): Promise<AnswerFile | undefined> {
  if (isDir(file) || !file.toLowerCase().endsWith('.json')) return undefined;
  const bytes = await readBytes(file, 'GVTBench prediction records');
  const first = firstRecord(bytes.toString('utf8'));
  if (!first || !('pred' in first) || !('image_id' in first)) return undefined;
  const records = validate(z.array(gvtRecord), parseJson(bytes.toString('utf8'), file), file);
  const waiting = new Map<string, string[]>(); // (image, gold) -> sample ids not yet given an answer
  for await (const s of samples()) {
    const key = `${s.imageId}\u0000${s.answers[0]}`;
    waiting.set(key, [...(waiting.get(key) ?? []), s.id]);
  }
  const byId = new Map<string, string>();
  records.forEach((r, i) => {
    const id = waiting.get(`${String(r.image_id)}\u0000${String(r.gt)}`)?.shift();
    if (!id) throw new XfError('E_PREDICTION_UNKNOWN_ID', `record ${i} (image ${String(r.image_id)}, gold ${String(r.gt)}) matches no question left in the dataset`, { file, field: `[${i}]` });
    byId.set(id, r.pred);
  });
  return { format: 'gvtbench-records', sha256: sha256Text(bytes), byId };
}

const popeAnswer = z.object({ question_id: z.union([z.string(), z.number()]), text: z.string().optional(), answer: z.string().optional() })
  .refine((a) => a.text !== undefined || a.answer !== undefined, 'needs "text" or "answer"');
const POPE_SPLITS = ['random', 'popular', 'adversarial'];

/**
 * POPE answer files, one JSON line per question with its question_id and the answer as `text` (as
 * LLaVA's POPE evaluation writes them) or `answer`; one file per split, named after it (a folder of
 * them, or one). Question ids repeat across splits, so the split comes from the file's name.
 */
export async function readPopeAnswers(target: string): Promise<AnswerFile | undefined> {
  const files = isDir(target) ? readdirSync(target).filter((f) => /\.jsonl?$/.test(f)).sort().map((f) => path.join(target, f)) : [target];
  const byId = new Map<string, string>();
  const hashes: string[] = [];
  for (const file of files) {
    const bytes = await readBytes(file, 'POPE answer file');
    const first = firstRecord(bytes.toString('utf8'));
    // a questions file (it has the gold label) or a generic {id, prediction} file is not an answer file
    if (!first || !('question_id' in first) || 'prediction' in first || 'label' in first || !('text' in first || 'answer' in first)) return undefined;
    const split = POPE_SPLITS.find((s) => path.basename(file).toLowerCase().includes(s));
    if (!split) throw new XfError('E_SCHEMA', `the file's name does not say its split (${POPE_SPLITS.join(', ')})`, { file, suggestion: 'Name each answer file after its split, e.g. answers_random.jsonl.' });
    hashes.push(`${path.basename(file)}:${sha256Text(bytes)}`);
    bytes.toString('utf8').split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      const a = validate(popeAnswer, parseJson(line, `${file}:${i + 1}`), file, `line ${i + 1}`);
      byId.set(`${split}/${String(a.question_id)}`, a.text ?? a.answer!);
    });
  }
  if (byId.size === 0) return undefined;
  return { format: 'pope-answers', sha256: sha256Text(hashes.join('\n')), byId };
}
