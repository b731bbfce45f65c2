import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { XfError } from '../lib/errors.js';
import { parseJson, readBytes, sha256Text, validate } from '../lib/files.js';
import { fillTemplate, locateImage } from './image-paths.js';
import type { AdapterOptions, DatasetAdapter, OpenedDataset, Sample } from './types.js';
import { readJsonListAnswers, type JsonListLayout } from './answers/json-list.js';

const questionsSchema = z.object({
  data_subtype: z.string().optional(),
  questions: z.array(z.object({ image_id: z.number().int(), question: z.string(), question_id: z.number().int() })),
});
const annotationsSchema = z.object({
  annotations: z.array(
    z
      .object({
        question_id: z.number().int(),
        image_id: z.number().int(),
        answer_type: z.string(),
        question_type: z.string(),
        multiple_choice_answer: z.string().optional(),
        answers: z.array(z.object({ answer: z.string() }).passthrough()).min(1),
      })
      .passthrough(),
  ),
});

function pick(dir: string, names: string[], needle: string, what: string): string {
  const found = names.filter((n) => n.endsWith('.json') && n.includes(needle)).sort();
  if (found.length !== 1) {
    throw new XfError(
      'E_DATA_DIR',
      found.length === 0 ? `no ${what} file (*${needle}*.json)` : `several ${what} files (${found.join(', ')})`,
      { file: dir },
    );
  }
  return path.join(dir, found[0]!);
}

const VQA_SOURCE = 'https://visualqa.org/download.html (VQAv2); https://okvqa.allenai.org (OK-VQA); COCO images';

/** The images folder of a VQA release: `val2014/` (or the split's name), else `images/`. */
function imageRoot(dir: string, subtype: string | undefined, optional?: boolean): string {
  for (const name of [subtype, 'images'].filter((n): n is string => Boolean(n))) {
    const p = path.join(dir, name);
    if (existsSync(p) && statSync(p).isDirectory()) return p;
  }
  if (optional) return path.join(dir, subtype ?? 'images');
  throw new XfError('E_IMAGES_DIR', `images folder not found (looked for ${[subtype, 'images'].filter(Boolean).join(', ')})`, {
    file: dir,
  });
}

/** VQAv2 and OK-VQA share one layout: a questions JSON and an annotations JSON with ten answers each. */
export async function openVqa(adapterId: string, dir: string, opts: AdapterOptions = {}): Promise<OpenedDataset> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new XfError('E_DATA_DIR', 'dataset folder not found', { file: dir });
  const names = readdirSync(dir);
  const qFile = pick(dir, names, 'questions', 'questions');
  const aFile = pick(dir, names, 'annotations', 'annotations');
  const qBytes = await readBytes(qFile, 'questions file');
  const aBytes = await readBytes(aFile, 'annotations file');
  const qs = validate(questionsSchema, parseJson(qBytes.toString('utf8'), qFile), qFile);
  const anns = validate(annotationsSchema, parseJson(aBytes.toString('utf8'), aFile), aFile);
  const byQid = new Map(anns.annotations.map((a) => [a.question_id, a]));
  const subtype = qs.data_subtype;
  const root = imageRoot(dir, subtype, opts.imagesOptional);
  const template = opts.imageTemplate ?? `COCO_${subtype ?? 'val2014'}_{id:012}.jpg`;
  const samples: Sample[] = qs.questions.map((q, i) => {
    const a = byQid.get(q.question_id);
    if (!a) throw new XfError('E_SCHEMA', `question ${q.question_id} has no annotation`, { file: aFile, field: `questions[${i}]` });
    const rel = fillTemplate(template, q.image_id);
    const imagePath = locateImage(root, rel);
    if (!imagePath)
      throw new XfError('E_IMAGE_OUTSIDE', `image "${rel}" would lie outside the images folder`, {
        file: qFile,
        field: `questions[${i}].image_id`,
        suggestion: 'Set --image-template to your file names.',
      });
    return {
      id: String(q.question_id),
      imageId: String(q.image_id),
      imagePath,
      question: q.question,
      answers: a.answers.map((x) => x.answer),
      categories: { answerType: a.answer_type, questionType: a.question_type },
      group: String(q.image_id),
      extra: {},
    };
  });
  if (samples.length === 0) throw new XfError('E_EMPTY_DATASET', 'the questions file has no questions', { file: qFile });
  return {
    adapter: adapterId,
    dir,
    hash: sha256Text(`${sha256Text(qBytes)}\n${sha256Text(aBytes)}`),
    samples,
    metrics: ['vqa.accuracy'],
    normalisePrediction: (text) => text.trim(), // the VQA metric applies its own normalisation
  };
}

/** The official VQA results file, `[{"question_id": ..., "answer": ...}]`: what the VQA evaluation API reads. */
const VQA_RESULTS: JsonListLayout<{ question_id: string | number; answer: string }> = {
  format: 'vqa-json',
  item: z.object({ question_id: z.union([z.string(), z.number()]), answer: z.string() }),
  recognises: (first) => 'question_id' in first && 'answer' in first,
  id: (r) => String(r.question_id),
  answer: (r) => r.answer,
};

/** The adapters' shared parts: both sets are in the VQA API's format. */
const vqaFormat = {
  takesImageTemplate: true,
  layout:
    'DIR/*questions*.json + DIR/*annotations*.json (the VQA API format), DIR/val2014/ or DIR/images/ (COCO_val2014_<id:012>.jpg; --image-template)',
  source: VQA_SOURCE,
  readAnswers: (file: string) => readJsonListAnswers(file, VQA_RESULTS),
  exportPredictions: {
    format: 'vqa-results',
    description: 'the results file the official VQA evaluation reads ([{question_id, answer}])',
    // VQA's question ids are numbers, and its API looks them up as numbers
    entry: (a: { id: string; prediction: string }) => JSON.stringify({ question_id: Number(a.id), answer: a.prediction }),
    frame: { open: '[', separator: ',', close: ']', empty: '[]' },
  },
} satisfies Partial<DatasetAdapter>;

export const vqav2Adapter: DatasetAdapter = {
  id: 'vqav2',
  description: 'VQAv2 (questions + annotations JSON, COCO images)',
  defaultDir: 'fixtures/vqav2-mini',
  ...vqaFormat,
  open: (dir, opts) => openVqa('vqav2', dir, opts),
};

export const okvqaAdapter: DatasetAdapter = {
  id: 'okvqa',
  description: 'OK-VQA (the VQAv2 layout: questions + annotations JSON, COCO images)',
  defaultDir: 'fixtures/okvqa-mini',
  ...vqaFormat,
  open: (dir, opts) => openVqa('okvqa', dir, opts),
};
