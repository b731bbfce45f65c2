import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { XfError } from '../lib/errors.js';
import { checkedFile, validate } from '../lib/files.js';
import { streamJsonMembers } from '../lib/json-stream.js';
import { readJsonListAnswers, type JsonListLayout } from './answers/json-list.js';
import { ImageFolder } from './images.js';
import type { AdapterOptions, DatasetAdapter, OpenedDataset, Sample, StreamedDataset } from './types.js';

const programStep = z.object({ operation: z.string(), argument: z.string(), dependencies: z.array(z.number().int()) });

/** One record of GQA's official questions JSON (the value under its question id). */
export const gqaRecordSchema = z.object({
  imageId: z.string().min(1),
  question: z.string(),
  answer: z.string(),
  fullAnswer: z.string(),
  isBalanced: z.boolean(),
  types: z.object({ structural: z.string(), semantic: z.string(), detailed: z.string() }),
  groups: z.object({ global: z.string().nullable(), local: z.string().nullable() }),
  entailed: z.array(z.string()),
  equivalent: z.array(z.string()),
  semantic: z.array(programStep),
  semanticStr: z.string(),
  annotations: z.object({
    answer: z.record(z.string(), z.string()),
    question: z.record(z.string(), z.string()),
    fullAnswer: z.record(z.string(), z.string()),
  }),
});
export type GqaRecord = z.infer<typeof gqaRecordSchema>;

const PREFERRED = ['testdev_balanced_questions.json', 'val_balanced_questions.json', 'testdev_all_questions.json'];

async function findQuestionsFile(dir: string): Promise<string> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new XfError('E_DATA_DIR', 'dataset folder not found', {
      file: dir,
      suggestion: 'Pass --data DIR, a folder holding a GQA questions JSON and images/.',
    });
  }
  const candidates = names.filter((n) => n.endsWith('questions.json')).sort();
  const pick = PREFERRED.find((p) => candidates.includes(p)) ?? (candidates.length === 1 ? candidates[0] : undefined);
  if (!pick) {
    throw new XfError(
      'E_DATA_DIR',
      candidates.length === 0 ? 'no *questions.json file' : `several questions files (${candidates.join(', ')})`,
      {
        file: dir,
        suggestion: 'Keep one *_questions.json per folder, or name it testdev_balanced_questions.json.',
      },
    );
  }
  return path.join(dir, pick);
}

/** GQA's answer normalisation as callers of the official scorer apply it: lowercase, no trailing period. */
export function normaliseGqaAnswer(text: string): string {
  return text.trim().toLowerCase().replace(/\.+$/, '').trim();
}

/** GQA's official predictions file, `[{"questionId": ..., "prediction": ...}]`: what its scorer reads, and what xfbench writes for it. */
const GQA_PREDICTIONS: JsonListLayout<{ questionId: string | number; prediction: string }> = {
  format: 'gqa-json',
  item: z.object({ questionId: z.union([z.string(), z.number()]), prediction: z.string() }),
  recognises: (first) => 'questionId' in first,
  id: (p) => String(p.questionId),
  answer: (p) => p.prediction,
};

export const gqaAdapter: DatasetAdapter = {
  id: 'gqa',
  description: 'GQA balanced questions (official questions JSON keyed by id, images/<imageId>.jpg)',
  defaultDir: 'fixtures/gqa-mini',
  layout: 'DIR/testdev_balanced_questions.json (or one *_questions.json), DIR/images/<imageId>.jpg',
  source: 'https://cs.stanford.edu/people/dorarad/gqa/download.html (questions 1.2, images)',
  officialSubset: 'the balanced questions (isBalanced)',
  loadChoices: async (file) => (await import('./gqa-choices.js')).loadGqaChoices(file),
  readAnswers: (file) => readJsonListAnswers(file, GQA_PREDICTIONS),
  exportPredictions: {
    format: 'gqa-predictions',
    description: "the predictions file GQA's official eval.py reads (testdev_balanced_predictions.json)",
    // written as JSON.stringify(list, null, 1) writes it, an entry at a time
    entry: (a) =>
      JSON.stringify({ questionId: a.id, prediction: a.prediction }, null, 1)
        .split('\n')
        .map((line) => ` ${line}`)
        .join('\n'),
    frame: { open: '[\n', separator: ',\n', close: '\n]', empty: '[]' },
  },
  async open(dir: string, opts?: AdapterOptions): Promise<OpenedDataset> {
    const streamed = await this.stream!(dir, opts);
    const samples: Sample[] = [];
    for await (const sample of streamed.samples()) samples.push(sample);
    return { ...streamed, samples, hash: streamed.hash() };
  },
  async stream(dir: string, opts?: AdapterOptions): Promise<StreamedDataset> {
    const file = await findQuestionsFile(dir);
    const images = await ImageFolder.open(path.join(dir, 'images'), file, { optional: opts?.imagesOptional });
    const checked = await checkedFile(file, 'GQA questions file');
    let hash: string | undefined;
    async function* samples(): AsyncGenerator<Sample> {
      const seen = new Set<string>();
      const intern = interner();
      // record by record: a full GQA split is too big to hold as one string
      for await (const { key, value } of streamJsonMembers(checked, {
        onDone: (h) => {
          hash = h;
        },
      })) {
        if (typeof key !== 'string') throw new XfError('E_SCHEMA', 'expected an object keyed by question id, found an array', { file });
        if (seen.has(key)) throw new XfError('E_SCHEMA', `question id "${key}" appears twice`, { file, field: key });
        seen.add(key);
        yield gqaSample(key, validate(gqaRecordSchema, value, file, key), images, file, intern);
      }
      if (seen.size === 0) throw new XfError('E_EMPTY_DATASET', 'the questions file has no questions', { file });
    }
    return {
      adapter: 'gqa',
      dir,
      samples,
      metrics: GQA_METRICS,
      normalisePrediction: normaliseGqaAnswer,
      hash: () => {
        if (hash === undefined) throw new Error('the GQA questions file has not been read through yet');
        return hash;
      },
    };
  },
};

const GQA_METRICS = ['gqa.accuracy', 'gqa.consistency', 'gqa.validity', 'gqa.plausibility', 'gqa.distribution'];

const NO_ENTAILED: readonly string[] = Object.freeze([]);

/**
 * One shared copy of each repeated string (image ids, type labels, groups): a large split repeats a
 * few thousand values a million times, and held per sample they would dominate memory.
 */
function interner(): (s: string) => string {
  const seen = new Map<string, string>();
  return (s) => {
    const known = seen.get(s);
    if (known !== undefined) return known;
    seen.set(s, s);
    return s;
  };
}

function gqaSample(id: string, r: GqaRecord, images: ImageFolder, file: string, intern: (s: string) => string): Sample {
  const imagePath = images.find(r.imageId);
  if (!imagePath) {
    throw new XfError('E_IMAGE_OUTSIDE', `image id "${r.imageId}" would lie outside the images folder`, { file, field: `${id}.imageId` });
  }
  const imageId = intern(r.imageId);
  return {
    id,
    imageId,
    imagePath,
    question: r.question,
    answers: [intern(r.answer)],
    categories: { structural: intern(r.types.structural), semantic: intern(r.types.semantic), detailed: intern(r.types.detailed) },
    group: imageId,
    extra: {
      isBalanced: r.isBalanced,
      entailed: r.entailed.length > 0 ? r.entailed : NO_ENTAILED,
      globalGroup: r.groups.global === null ? null : intern(r.groups.global),
      steps: reasoningSteps(r.semantic),
      words: r.question.split(/\s+/).filter(Boolean).length,
    },
  };
}

/** Program steps that count as reasoning, as the official scorer counts them. */
export function reasoningSteps(program: GqaRecord['semantic']): number {
  return program.filter((s) => {
    const text = `${s.operation}: ${s.argument}`;
    return !text.includes('exist') && !text.includes('query: name') && !text.includes('choose name');
  }).length;
}
