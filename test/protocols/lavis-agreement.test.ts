import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { CONVERTER_PYTHON } from '../helpers/converter.js';
import { GQA_MINI, ROOT, tempDir } from '../helpers/paths.js';

/** LAVIS's own code (salesforce-lavis 1.0.2, scripts/lavis_reference.py) on these questions and answers. */
function lavis(questions: string[], answers: { pred: string; gold: string }[]): { prompts: string[]; correct: number[] } {
  const r = spawnSync(CONVERTER_PYTHON, [path.join(ROOT, 'scripts/lavis_reference.py')], {
    input: JSON.stringify({ questions, answers }),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`lavis_reference.py failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as { prompts: string[]; correct: number[] };
}

// golds and answers where the VQA tools' steps matter: articles, number words, punctuation inside and
// around words, contractions, case, and golds that the release leaves unprocessed
const GOLDS = ['frisbee', 't-shirt', 'two', '2', 'man', "isn't", 'Yes', 'left', 'black and white', 'n/a', 'the car', '10'];
const ANSWERS = (gold: string) => [
  gold,
  `a ${gold}`,
  `The ${gold}.`,
  `${gold}!`,
  gold.toUpperCase(),
  `${gold},`,
  'two',
  'isnt',
  't shirt',
  'an apple',
];

const QUESTIONS = [
  'Is the Man (left) holding a FRISBEE?',
  'What; is "this" thing~ called:   ',
  'Who is wearing the t-shirt?!',
  'Is it * #1?',
  `Which ${Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ')} is it?`,
  'Is  the cup   empty .',
  "What's on the table's edge?",
  'Are there (two) dogs??',
];

/** A copy of gqa-mini whose first questions and gold answers are the ones given. */
function datasetWith(dir: string, edit: (record: Record<string, unknown>, i: number) => void, count: number): string[] {
  const records = JSON.parse(readFileSync(path.join(GQA_MINI, 'testdev_balanced_questions.json'), 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
  const ids = Object.keys(records).slice(0, count);
  ids.forEach((id, i) => edit(records[id]!, i));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'testdev_balanced_questions.json'), JSON.stringify(records));
  symlinkSync(path.join(GQA_MINI, 'images'), path.join(dir, 'images'));
  return ids;
}

describe("--protocol lavis against LAVIS's own code (salesforce-lavis 1.0.2)", () => {
  it('scores every adversarial answer as GQATask._report_metrics does, question by question', () => {
    const work = tempDir('xfbench-lavis-');
    const pairs = GOLDS.flatMap((gold) => ANSWERS(gold).map((pred) => ({ pred, gold })));
    const data = path.join(work, 'gqa');
    const ids = datasetWith(
      data,
      (r, i) => {
        r['answer'] = pairs[i]!.gold;
      },
      pairs.length,
    );
    const predictions = path.join(work, 'p.jsonl');
    writeFileSync(predictions, ids.map((id, i) => JSON.stringify({ id, prediction: pairs[i]!.pred })).join('\n'));
    const out = path.join(work, 'scored');
    const r = runCli(['score', 'gqa', '--data', data, '--predictions', predictions, '--protocol', 'lavis', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const ours = new Map(
      readFileSync(path.join(out, 'predictions.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { id: string; scores: { correct: number } })
        .map((l) => [l.id, l.scores.correct]),
    );
    const theirs = lavis([], pairs).correct;
    const disagreements = pairs.flatMap((p, i) =>
      ours.get(ids[i]!) === theirs[i] ? [] : [{ ...p, ours: ours.get(ids[i]!), lavis: theirs[i] }],
    );
    expect(disagreements).toEqual([]);
    // the set is adversarial: both outcomes occur, and the release's own quirk is among them
    expect(new Set(theirs)).toEqual(new Set([0, 1]));
    expect(theirs[pairs.findIndex((p) => p.pred === 't-shirt' && p.gold === 't-shirt')]).toBe(0);
  });

  it('gives the LM the prompt LAVIS builds from each question (BlipQuestionProcessor, the zero-shot template)', () => {
    const work = tempDir('xfbench-lavis-');
    const data = path.join(work, 'gqa');
    const ids = datasetWith(
      data,
      (r, i) => {
        r['question'] = QUESTIONS[i]!;
      },
      QUESTIONS.length,
    );
    const out = path.join(work, 'run');
    const r = runCli([
      'run',
      'gqa',
      '--data',
      data,
      '--limit',
      String(QUESTIONS.length),
      '--device',
      'cpu',
      '--protocol',
      'lavis',
      '--out',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const prompts = new Map(
      readFileSync(path.join(out, 'predictions.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { id: string; prompt: string })
        .map((l) => [l.id, l.prompt]),
    );
    expect(ids.map((id) => prompts.get(id))).toEqual(lavis(QUESTIONS, []).prompts);
  });
});
