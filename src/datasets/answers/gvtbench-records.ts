import { z } from 'zod';
import { XfError } from '../../lib/errors.js';
import { parseJson, readBytes, sha256Text, validate } from '../../lib/files.js';
import type { AnswerFile, Sample } from '../types.js';
import { AnswerCollector, firstRecord, isDir } from './collect.js';

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
  const answers = new AnswerCollector(file);
  records.forEach((r, i) => {
    const id = waiting.get(`${String(r.image_id)}\u0000${String(r.gt)}`)?.shift();
    if (!id)
      throw new XfError(
        'E_PREDICTION_UNKNOWN_ID',
        `record ${i} (image ${String(r.image_id)}, gold ${String(r.gt)}) matches no question left in the dataset`,
        { file, field: `[${i}]` },
      );
    answers.put(id, r.pred, `[${i}]`);
  });
  return answers.finish('gvtbench-records', sha256Text(bytes));
}
