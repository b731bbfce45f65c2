import { readdirSync } from 'node:fs';
import path from 'node:path';
import { XfError } from '../lib/errors.js';
import { readBytes, sha256Text } from '../lib/files.js';
import { AnswerCollector, isDir } from './answers/collect.js';
import { locateImage } from './image-paths.js';
import { ContentIds } from './sample-ids.js';
import type { AnswerFile, DatasetAdapter, OpenedDataset, Sample } from './types.js';

interface Triple {
  image: string;
  question: string;
  answer: string;
  file: string;
  line: number;
}

function tabLines(text: string, file: string, minFields: number): string[][] {
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      const parts = l.split('\t');
      if (parts.length < minFields)
        throw new XfError('E_SCHEMA', `line ${i + 1} needs ${minFields} tab-separated fields`, { file, field: `line ${i + 1}` });
      return parts;
    });
}

/**
 * One subtask's (image, question, answer) triples, from either MME layout:
 * `<task>/questions_answers_YN/<name>.txt` ("question<TAB>answer") beside `<task>/images/<name>.*`, or
 * `<task>/*.txt` ("image<TAB>question<TAB>answer") with the images in `<task>/`.
 */
async function readSubtask(dir: string, task: string, hashes: string[]): Promise<Triple[]> {
  const folder = path.join(dir, task);
  const qaDir = path.join(folder, 'questions_answers_YN');
  const paired = isDir(qaDir);
  const files = (paired ? readdirSync(qaDir).map((f) => path.join(qaDir, f)) : readdirSync(folder).map((f) => path.join(folder, f)))
    .filter((f) => f.endsWith('.txt'))
    .sort();
  const images = paired && isDir(path.join(folder, 'images')) ? readdirSync(path.join(folder, 'images')) : [];
  const out: Triple[] = [];
  for (const file of files) {
    const bytes = await readBytes(file, 'MME questions file');
    hashes.push(`${path.relative(dir, file)}:${sha256Text(bytes)}`);
    const text = bytes.toString('utf8');
    if (paired) {
      const stem = path.basename(file, '.txt');
      const image = path.join('images', images.find((f) => f.startsWith(`${stem}.`)) ?? `${stem}.jpg`);
      tabLines(text, file, 2).forEach(([q, a], i) => out.push({ image, question: q!, answer: a!, file, line: i + 1 }));
    } else {
      tabLines(text, file, 3).forEach(([img, q, a], i) => out.push({ image: img!, question: q!, answer: a!, file, line: i + 1 }));
    }
  }
  return out;
}

/**
 * MME's answer files as its evaluation tool reads them: `<subtask>.txt`, one line per question,
 * "image<TAB>question<TAB>gold<TAB>prediction"; a folder of them, or one. Lines map to samples by
 * (subtask, image, question), the same fields the samples' ids are made of.
 */
export async function readMmeAnswers(target: string): Promise<AnswerFile | undefined> {
  if (!isDir(target) && !target.toLowerCase().endsWith('.txt')) return undefined;
  const files = isDir(target)
    ? readdirSync(target)
        .filter((f) => f.endsWith('.txt'))
        .sort()
        .map((f) => path.join(target, f))
    : [target];
  if (files.length === 0) throw new XfError('E_EMPTY_PREDICTIONS', 'no <subtask>.txt answer file in the folder', { file: target });
  const answers = new AnswerCollector(target);
  const hashes: string[] = [];
  for (const file of files) {
    const bytes = await readBytes(file, 'MME answer file');
    hashes.push(`${path.basename(file)}:${sha256Text(bytes)}`);
    const task = path.basename(file, '.txt');
    const ids = new ContentIds();
    tabLines(bytes.toString('utf8'), file, 4).forEach(([image, question, , prediction], i) => {
      // leading spaces kept: calculation.py reads "  yes" as "other" (trailing ones never change its label)
      answers.put(ids.next([task, path.basename(image!), question!]), prediction!.trimEnd(), `line ${i + 1}`, file);
    });
  }
  return answers.finish('mme-answers', sha256Text(hashes.join('\n')));
}

/** MME: one folder per subtask; two yes/no questions per image. */
export async function openMme(dir: string): Promise<OpenedDataset> {
  if (!isDir(dir)) throw new XfError('E_DATA_DIR', 'dataset folder not found', { file: dir });
  const hashes: string[] = [];
  const samples: Sample[] = [];
  for (const task of readdirSync(dir)
    .filter((t) => isDir(path.join(dir, t)))
    .sort()) {
    const ids = new ContentIds();
    for (const r of await readSubtask(dir, task, hashes)) {
      const answer = r.answer.trim();
      if (answer !== 'Yes' && answer !== 'No')
        throw new XfError('E_SCHEMA', `answer "${answer}" is not Yes or No`, { file: r.file, field: `line ${r.line}` });
      const imagePath = locateImage(path.join(dir, task), r.image);
      if (!imagePath)
        throw new XfError('E_IMAGE_OUTSIDE', `image "${r.image}" would lie outside ${task}/`, { file: r.file, field: `line ${r.line}` });
      samples.push({
        id: ids.next([task, path.basename(r.image), r.question]),
        imageId: `${task}/${r.image}`,
        imagePath,
        question: r.question,
        answers: [answer],
        categories: { subtask: task },
        group: `${task}/${r.image}`,
        extra: {},
      });
    }
  }
  if (samples.length === 0) throw new XfError('E_EMPTY_DATASET', 'no MME subtask with questions found', { file: dir });
  return {
    adapter: 'mme',
    dir,
    hash: sha256Text(hashes.join('\n')),
    samples,
    metrics: ['mme.accuracy', 'mme.score'],
    // as calculation.py reads its answer files: leading spaces count (a single one does not change the label)
    normalisePrediction: (t) => t.trimEnd(),
  };
}

export const mmeAdapter: DatasetAdapter = {
  id: 'mme',
  readAnswers: readMmeAnswers,
  description: 'MME perception subtasks: yes/no question pairs per image, one folder per subtask',
  defaultDir: 'fixtures/mme-mini',
  layout:
    'DIR/<subtask>/questions_answers_YN/<name>.txt + DIR/<subtask>/images/<name>.*, or DIR/<subtask>/*.txt (image<TAB>question<TAB>answer) beside the images',
  source: 'the MME benchmark release (BradyFU/Awesome-Multimodal-Large-Language-Models, on request from its authors)',
  open: (dir) => openMme(dir),
};
