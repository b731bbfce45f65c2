import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { XfError } from '../lib/errors.js';
import { parseJson, readBytes, sha256Text, validate } from '../lib/files.js';
import { readPopeAnswers } from './answers/pope-answers.js';
import { locateImage } from './image-paths.js';
import type { AdapterOptions, DatasetAdapter, OpenedDataset, Sample } from './types.js';

const lineSchema = z.object({
  question_id: z.union([z.number().int(), z.string()]),
  image: z.string().min(1),
  text: z.string(),
  label: z.enum(['yes', 'no']),
});

/** POPE: `*_pope_<split>.json` files of JSON lines (question_id, image, text, label); images in `images/` or `val2014/`. */
export async function openPope(dir: string, opts?: AdapterOptions): Promise<OpenedDataset> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new XfError('E_DATA_DIR', 'dataset folder not found', { file: dir });
  const files = readdirSync(dir)
    .filter((f) => /_pope_\w+\.jsonl?$/.test(f))
    .sort();
  if (files.length === 0) throw new XfError('E_DATA_DIR', 'no *_pope_<split>.json files', { file: dir });
  const imageRoot =
    ['images', 'val2014'].map((d) => path.join(dir, d)).find((d) => existsSync(d)) ??
    (opts?.imagesOptional ? path.join(dir, 'images') : undefined);
  if (!imageRoot) throw new XfError('E_IMAGES_DIR', 'images folder not found (images/ or val2014/)', { file: dir });
  const samples: Sample[] = [];
  const hashes: string[] = [];
  for (const name of files) {
    const file = path.join(dir, name);
    const split = /_pope_(\w+)\.jsonl?$/.exec(name)![1]!;
    const bytes = await readBytes(file, 'POPE file');
    hashes.push(`${name}:${sha256Text(bytes)}`);
    bytes
      .toString('utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.trim() === '') return;
        const r = validate(lineSchema, parseJson(line, `${file}:${i + 1}`), file, `line ${i + 1}`);
        const imagePath = locateImage(imageRoot, r.image);
        if (!imagePath)
          throw new XfError('E_IMAGE_OUTSIDE', `image "${r.image}" would lie outside the images folder`, {
            file,
            field: `line ${i + 1}.image`,
          });
        samples.push({
          id: `${split}/${r.question_id}`,
          imageId: r.image,
          imagePath,
          question: r.text,
          answers: [r.label],
          categories: { split },
          group: r.image,
          extra: {},
        });
      });
  }
  if (samples.length === 0) throw new XfError('E_EMPTY_DATASET', 'the POPE files hold no questions', { file: dir });
  return {
    adapter: 'pope',
    dir,
    hash: sha256Text(hashes.join('\n')),
    samples,
    metrics: ['pope.accuracy', 'pope.precision', 'pope.recall', 'pope.f1', 'pope.yes-ratio'],
    normalisePrediction: (t) => t.trim(),
  };
}

export const popeAdapter: DatasetAdapter = {
  id: 'pope',
  description: 'POPE object hallucination probes: random, popular and adversarial splits',
  defaultDir: 'fixtures/pope-mini',
  readAnswers: (target) => readPopeAnswers(target),
  // lmms-lab/POPE records name their split `category`
  idFromLoggedDoc: (doc) =>
    doc['category'] !== undefined && doc['question_id'] !== undefined
      ? `${String(doc['category'])}/${String(doc['question_id'])}`
      : undefined,
  layout: 'DIR/coco_pope_<split>.json (JSON lines: question_id, image, text, label), DIR/val2014/ or DIR/images/',
  source: 'https://github.com/RUCAIBox/POPE (output/coco), COCO val2014 images',
  open: (dir, opts) => openPope(dir, opts),
};
