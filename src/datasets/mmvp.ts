import { parse as parseCsv } from 'csv-parse/sync';
import path from 'node:path';
import { z } from 'zod';
import { XfError } from '../lib/errors.js';
import { readBytes, sha256Text, validate } from '../lib/files.js';
import { locateImage } from './image-paths.js';
import type { DatasetAdapter, OpenedDataset, Sample } from './types.js';

const rowSchema = z.object({
  'Index': z.string().regex(/^\d+$/, 'must be a positive integer'),
  'Question': z.string().min(1),
  'Options': z.string().min(1),
  'Correct Answer': z.string().min(1),
});

/** Splits MMVP's option string "(a) Open (b) Closed" into {a: 'Open', b: 'Closed'}. */
export function parseOptions(options: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\(([a-z])\)\s*([^()]*?)\s*(?=\([a-z]\)|$)/gi;
  for (const m of options.matchAll(re)) out[m[1]!.toLowerCase()] = m[2]!.trim();
  return out;
}

/**
 * Gold answers the MMVP release has swapped (tsb0601/MMVP#30), corrected by 1-based Index as lmms-eval
 * corrects them; a Questions.csv that already has them right is unchanged.
 */
const GOLD_CORRECTIONS: Readonly<Record<number, string>> = { 99: 'b', 100: 'a', 279: 'b', 280: 'a' };

/** MMVP: Questions.csv and `MMVP Images/<Index>.jpg`; consecutive questions form a pair. */
export async function openMmvp(dir: string): Promise<OpenedDataset> {
  const file = path.join(dir, 'Questions.csv');
  const bytes = await readBytes(file, 'MMVP Questions.csv');
  let rows: unknown[];
  try {
    rows = parseCsv(bytes, { columns: true, skip_empty_lines: true, bom: true, trim: true }) as unknown[];
  } catch (err) {
    throw new XfError('E_BAD_CSV', `malformed CSV (${(err as Error).message.split('\n')[0]})`, { file });
  }
  if (rows.length === 0) throw new XfError('E_EMPTY_DATASET', 'Questions.csv has no questions', { file });
  const imageDir = path.join(dir, 'MMVP Images');
  const samples: Sample[] = rows.map((raw, i) => {
    const r = validate(rowSchema, raw, file, `row ${i + 2}`);
    const index = Number.parseInt(r.Index, 10);
    const imagePath = locateImage(imageDir, `${index}.jpg`);
    if (!imagePath)
      throw new XfError('E_IMAGE_OUTSIDE', `image ${index}.jpg would lie outside "MMVP Images"`, { file, field: `row ${i + 2}.Index` });
    const options = parseOptions(r.Options);
    const given = /\(?([a-z])\)?/i.exec(r['Correct Answer'])?.[1]?.toLowerCase();
    const letter = rows.length >= 280 && GOLD_CORRECTIONS[index] ? GOLD_CORRECTIONS[index] : given;
    if (!letter || !(letter in options))
      throw new XfError('E_SCHEMA', `correct answer "${r['Correct Answer']}" is not one of the options`, {
        file,
        field: `row ${i + 2}.Correct Answer`,
      });
    return {
      id: String(index),
      imageId: String(index),
      imagePath,
      question: `${r.Question} ${r.Options}`,
      answers: [letter, options[letter]!],
      categories: {},
      group: `pair ${Math.ceil(index / 2)}`,
      extra: { options, ...(letter !== given ? { goldCorrectedFrom: given } : {}) },
    };
  });
  return {
    adapter: 'mmvp',
    dir,
    hash: sha256Text(bytes),
    samples,
    metrics: ['mmvp.accuracy', 'mmvp.pair-accuracy'],
    normalisePrediction: (t) => t.trim(),
  };
}

export const mmvpAdapter: DatasetAdapter = {
  id: 'mmvp',
  description: 'MMVP: 150 pairs of CLIP-blind images (Questions.csv, MMVP Images/)',
  defaultDir: 'fixtures/mmvp-mini',
  layout: 'DIR/Questions.csv, DIR/MMVP Images/<Index>.jpg',
  source: 'https://huggingface.co/datasets/MMVP/MMVP',
  open: (dir) => openMmvp(dir),
};
