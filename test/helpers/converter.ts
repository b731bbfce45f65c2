import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { converterEnv } from '../../src/convert/python.js';
import { GQA_MINI, ROOT } from './paths.js';

/** The converter's Python, as `xfbench convert` finds it (scripts/install-converter-deps.sh makes it). */
export const CONVERTER_PYTHON = process.env.XFBENCH_PYTHON ?? path.join(ROOT, '.venv-convert', 'bin', 'python');

/** Runs a module of converter/ with the converter's Python; throws with its stderr on failure. */
export function runConverterPython(args: string[]): string {
  if (!existsSync(CONVERTER_PYTHON)) throw new Error(`${CONVERTER_PYTHON} is missing: run bash scripts/install-converter-deps.sh`);
  const r = spawnSync(CONVERTER_PYTHON, args, {
    encoding: 'utf8',
    env: converterEnv(),
    timeout: 600_000,
  });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

export interface QuestionRef {
  id: string;
  image: string;
  question: string;
}

/** The first `n` gqa-mini questions in file order: what `run gqa --limit n` evaluates. */
export function firstGqaQuestions(n: number): QuestionRef[] {
  const records = JSON.parse(readFileSync(path.join(GQA_MINI, 'testdev_balanced_questions.json'), 'utf8')) as Record<
    string,
    { imageId: string; question: string }
  >;
  return Object.entries(records)
    .slice(0, n)
    .map(([id, r]) => ({ id, image: path.join(GQA_MINI, 'images', `${r.imageId}.png`), question: r.question }));
}

/** gqa-mini's questions with their answers, the text a test checkpoint's tokenizer is trained on. */
export function writeGqaCorpus(file: string): void {
  const records = JSON.parse(readFileSync(path.join(GQA_MINI, 'testdev_balanced_questions.json'), 'utf8')) as Record<
    string,
    { question: string; answer: string }
  >;
  writeFileSync(file, JSON.stringify(Object.values(records).map((r) => `Question: ${r.question} Short answer: ${r.answer}`)));
}

export interface ReferenceCase {
  id: string;
  promptIds: number[];
  greedy: { ids: number[]; text: string };
  beams: { ids: number[]; text: string };
  /** 3 beams, length penalty 1, end at the bundle's end tokens or EOS, at least 2 new tokens. */
  variant: { ids: number[]; text: string };
  firstLogits: number[];
}

/**
 * A random test checkpoint (converter/xfconvert/testing/random_checkpoint.py) in `dir`/checkpoint, its
 * tokenizer trained on gqa-mini's questions, saved as transformers saves it; returns its folder.
 */
export function writeRandomCheckpoint(dir: string, kind: string, seed?: number): string {
  const checkpoint = path.join(dir, 'checkpoint');
  writeGqaCorpus(path.join(dir, 'corpus.json'));
  const seedArgs = seed === undefined ? [] : ['--seed', String(seed)];
  runConverterPython([
    '-m',
    'xfconvert.testing.random_checkpoint',
    checkpoint,
    '--kind',
    kind,
    ...seedArgs,
    '--corpus',
    path.join(dir, 'corpus.json'),
  ]);
  return checkpoint;
}
