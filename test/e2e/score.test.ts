import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { FIXTURES, GQA_MINI, tempDir } from '../helpers/paths.js';

const records = JSON.parse(readFileSync(path.join(GQA_MINI, 'testdev_balanced_questions.json'), 'utf8')) as Record<
  string,
  { answer: string }
>;
const ids = Object.keys(records);

describe('score streams the dataset and leaves nothing behind on bad input', () => {
  it('scores every format of predictions file to the same metrics', () => {
    const work = tempDir();
    const answers = ids.map((id, i) => ({ id, prediction: i % 4 ? records[id]!.answer : 'no' }));
    const files = {
      jsonl: [path.join(work, 'p.jsonl'), answers.map((a) => JSON.stringify(a)).join('\n')],
      json: [
        path.join(work, 'p.json'),
        JSON.stringify(
          answers.map((a) => ({ questionId: a.id, prediction: a.prediction })),
          null,
          1,
        ),
      ],
      csv: [path.join(work, 'p.csv'), `id,prediction\n${answers.map((a) => `${a.id},${a.prediction}`).join('\n')}\n`],
    };
    const metrics = Object.entries(files).map(([format, [file, text]]) => {
      writeFileSync(file!, text!);
      const out = path.join(work, format);
      const r = runCli(['score', 'gqa', '--predictions', file!, '--out', out, '--json']);
      expect(r.status, r.stderr).toBe(0);
      const run = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
      expect(run.dataset.evaluated).toBe(ids.length);
      return run.metrics;
    });
    expect(metrics[1]).toEqual(metrics[0]);
    expect(metrics[2]).toEqual(metrics[0]);
  });

  it('refuses predictions for unknown questions without leaving a half-written run', () => {
    const work = tempDir();
    const file = path.join(work, 'p.jsonl');
    writeFileSync(
      file,
      [JSON.stringify({ id: ids[0], prediction: 'yes' }), JSON.stringify({ id: 'not-a-question', prediction: 'yes' })].join('\n'),
    );
    const out = path.join(work, 'run');
    const r = runCli(['score', 'gqa', '--predictions', file, '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /E_PREDICTION_UNKNOWN_ID .*p\.jsonl: 1 predictions name questions the dataset does not have \(e\.g\. "not-a-question"\)/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a record broken halfway through the questions file, naming it, without leaving a run', () => {
    const work = tempDir();
    const data = path.join(work, 'gqa');
    cpSync(GQA_MINI, data, { recursive: true });
    const broken = { ...records };
    const middle = ids[Math.floor(ids.length / 2)]!;
    (broken as Record<string, unknown>)[middle] = { ...records[middle], types: 'none' };
    writeFileSync(path.join(data, 'testdev_balanced_questions.json'), JSON.stringify(broken));
    const file = path.join(work, 'p.jsonl');
    writeFileSync(file, ids.map((id) => JSON.stringify({ id, prediction: 'yes' })).join('\n'));
    const out = path.join(work, 'run');
    const r = runCli(['score', 'gqa', '--data', data, '--predictions', file, '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`(${middle}.types)`);
    expect(existsSync(out)).toBe(false);
  });
});

describe('score reads what other harnesses write, and scores xfbench runs again', () => {
  it('takes the official VQA results file and scores it as the answers of a JSONL', () => {
    const work = tempDir();
    const questions = (
      JSON.parse(readFileSync(path.join(FIXTURES, 'vqav2-mini', 'v2_OpenEnded_mscoco_val2014_questions.json'), 'utf8')) as {
        questions: Array<{ question_id: number }>;
      }
    ).questions;
    const answers = questions.map((q, i) => ({ question_id: q.question_id, answer: i % 3 ? 'yes' : 'two' }));
    writeFileSync(path.join(work, 'results.json'), JSON.stringify(answers));
    writeFileSync(
      path.join(work, 'same.jsonl'),
      answers.map((a) => JSON.stringify({ id: a.question_id, prediction: a.answer })).join('\n'),
    );
    const official = runCli(['score', 'vqav2', '--predictions', path.join(work, 'results.json'), '--out', path.join(work, 'a'), '--json']);
    expect(official.status, official.stderr).toBe(0);
    expect(runCli(['score', 'vqav2', '--predictions', path.join(work, 'same.jsonl'), '--out', path.join(work, 'b')]).status).toBe(0);
    const run = (d: string) =>
      JSON.parse(readFileSync(path.join(work, d, 'run.json'), 'utf8')) as { metrics: unknown; predictionsSource: { format: string } };
    expect(run('a').predictionsSource.format).toBe('vqa-json');
    expect(run('a').metrics).toEqual(run('b').metrics);
  });

  it('keeps the raw answer beside the normalised one, and --from-run scores the raw answers again', () => {
    const work = tempDir();
    // "Yes." normalises to "yes" for GQA; with --raw it stays "Yes." and is wrong
    const answers = ids.map((id) => ({ id, prediction: records[id]!.answer === 'yes' ? 'Yes.' : records[id]!.answer }));
    writeFileSync(path.join(work, 'p.jsonl'), answers.map((a) => JSON.stringify(a)).join('\n'));
    expect(runCli(['score', 'gqa', '--predictions', path.join(work, 'p.jsonl'), '--out', path.join(work, 'norm')]).status).toBe(0);
    const line = readFileSync(path.join(work, 'norm', 'predictions.jsonl'), 'utf8')
      .split('\n')
      .map((l) => l && JSON.parse(l))
      .find((l) => l && l.raw);
    expect(line).toMatchObject({ prediction: 'yes', raw: 'Yes.' });
    const again = runCli(['score', 'gqa', '--from-run', path.join(work, 'norm'), '--raw', '--out', path.join(work, 'raw'), '--json']);
    expect(again.status, again.stderr).toBe(0);
    const acc = (d: string) =>
      (
        JSON.parse(readFileSync(path.join(work, d, 'run.json'), 'utf8')) as {
          metrics: Array<{ metric: string; category: string; value: number }>;
        }
      ).metrics.find((m) => m.metric === 'gqa.accuracy' && m.category === 'overall')!.value;
    expect(acc('norm')).toBe(100);
    expect(acc('raw')).toBeLessThan(100);
    // and without --raw, the same answers score as they did
    expect(runCli(['score', 'gqa', '--from-run', path.join(work, 'norm'), '--out', path.join(work, 'again')]).status).toBe(0);
    expect(acc('again')).toBe(100);
  });
});

describe("score reads a benchmark's own answer files", () => {
  it("takes MME's <subtask>.txt answer files (image, question, gold, prediction), a folder of them or one", async () => {
    const { mmeAdapter } = await import('../../src/datasets/mme.js');
    const work = tempDir();
    const mme = path.join(FIXTURES, 'mme-mini');
    const samples = (await mmeAdapter.open(mme)).samples;
    const folder = path.join(work, 'answers');
    require('node:fs').mkdirSync(folder);
    const byTask = new Map<string, string[]>();
    // every answer right except those to the first image of each subtask; on the second image the answers
    // have two leading spaces, which MME's calculation.py reads as "other" for "  yes" (its first four
    // characters hold no "yes") but as "no" for "  no"
    let wrong = 0;
    for (const s of samples) {
      const task = String(s.categories['subtask']);
      const images = [...new Set(samples.filter((x) => x.categories['subtask'] === task).map((x) => x.imageId))];
      const [first, second] = images;
      let pred = s.answers[0]!;
      if (s.imageId === first) pred = pred === 'Yes' ? 'No' : 'Yes';
      if (s.imageId === second) pred = `  ${pred}`;
      if (s.imageId === first || (s.imageId === second && s.answers[0] === 'Yes')) wrong++;
      byTask.set(task, [...(byTask.get(task) ?? []), [path.basename(s.imageId), s.question, s.answers[0], pred].join('\t')]);
    }
    for (const [task, lines] of byTask) writeFileSync(path.join(folder, `${task}.txt`), `${lines.join('\n')}\n`);
    const r = runCli(['score', 'mme', '--predictions', folder, '--out', path.join(work, 'run'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      scored: number;
      withoutPrediction: number;
      metrics: Array<{ metric: string; category: string; value: number }>;
    };
    expect(out.scored).toBe(samples.length);
    const acc = out.metrics.find((m) => m.metric === 'mme.accuracy' && m.category === 'overall')!.value;
    expect(acc).toBeCloseTo((100 * (samples.length - wrong)) / samples.length, 10);
    const task = [...byTask.keys()][0]!;
    const one = runCli(['score', 'mme', '--predictions', path.join(folder, `${task}.txt`), '--out', path.join(work, 'one'), '--json']);
    expect(one.status, one.stderr).toBe(0);
    expect((JSON.parse(one.stdout) as { scored: number }).scored).toBe(byTask.get(task)!.length);
  });
});

describe('score reads GVTBench prediction records and POPE answer files', () => {
  it("maps GVTBench's [{pred, gt, image_id}] records, in any order, onto its questions", async () => {
    const { gvtbenchOcAdapter } = await import('../../src/datasets/gvtbench.js');
    const work = tempDir();
    const samples = (await gvtbenchOcAdapter.open(path.join(FIXTURES, 'gvtbench-mini'))).samples;
    // right on every third question; the records reversed, as ranks' files concatenated would scramble them
    const records = samples
      .map((s, i) => ({
        pred: i % 3 === 0 ? `there are ${s.answers[0]}` : '0',
        gt: Number(s.answers[0]),
        image_id: /^\d+$/.test(s.imageId) ? Number(s.imageId) : s.imageId,
        n_obj_exist: 1,
      }))
      .reverse();
    writeFileSync(path.join(work, 'count_result_val_model.json'), JSON.stringify(records));
    const r = runCli([
      'score',
      'gvtbench-oc',
      '--predictions',
      path.join(work, 'count_result_val_model.json'),
      '--out',
      path.join(work, 'run'),
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { scored: number; metrics: Array<{ metric: string; category: string; value: number }> };
    expect(out.scored).toBe(samples.length);
    const right = samples.filter((s, i) => i % 3 === 0 || s.answers[0] === '0').length;
    expect(out.metrics.find((m) => m.metric === 'gvtbench.oc.accuracy' && m.category === 'overall')!.value).toBeCloseTo(
      (100 * right) / samples.length,
      10,
    );
  });

  it('maps POPE answer lines {question_id, text} by the split in each file name', async () => {
    const { popeAdapter } = await import('../../src/datasets/pope.js');
    const work = tempDir();
    const samples = (await popeAdapter.open(path.join(FIXTURES, 'pope-mini'))).samples;
    const folder = path.join(work, 'answers');
    require('node:fs').mkdirSync(folder);
    for (const split of ['random', 'popular', 'adversarial']) {
      const lines = samples
        .filter((s) => s.categories['split'] === split)
        .map((s) =>
          JSON.stringify({
            question_id: Number(s.id.split('/')[1]),
            text: s.answers[0] === 'yes' ? 'Yes, there is.' : 'No, there is not.',
          }),
        );
      writeFileSync(path.join(folder, `llava_pope_${split}.jsonl`), lines.join('\n'));
    }
    const r = runCli(['score', 'pope', '--predictions', folder, '--out', path.join(work, 'run'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { scored: number; metrics: Array<{ metric: string; category: string; value: number }> };
    expect(out.scored).toBe(samples.length);
    expect(out.metrics.find((m) => m.metric === 'pope.accuracy' && m.category === 'overall')!.value).toBe(100);
  });
});

describe("score reads lmms-eval's --log_samples output", () => {
  it("takes each line's answer from filtered_resps and its question from doc, as a JSONL of the same answers scores", () => {
    const work = tempDir();
    const answers = ids.map((id, i) => ({ id, prediction: i % 5 ? records[id]!.answer : 'maybe' }));
    const logged = answers.map((a, i) =>
      JSON.stringify({
        doc_id: i,
        doc: { id: a.id, question: 'q', answer: records[a.id]!.answer },
        target: records[a.id]!.answer,
        resps: [[a.prediction]],
        filtered_resps: [a.prediction],
      }),
    );
    writeFileSync(path.join(work, 'samples_gqa.jsonl'), logged.join('\n'));
    writeFileSync(path.join(work, 'plain.jsonl'), answers.map((a) => JSON.stringify(a)).join('\n'));
    const r = runCli(['score', 'gqa', '--predictions', path.join(work, 'samples_gqa.jsonl'), '--out', path.join(work, 'a'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(runCli(['score', 'gqa', '--predictions', path.join(work, 'plain.jsonl'), '--out', path.join(work, 'b')]).status).toBe(0);
    const run = (d: string) =>
      JSON.parse(readFileSync(path.join(work, d, 'run.json'), 'utf8')) as { metrics: unknown; predictionsSource: { format: string } };
    expect(run('a').predictionsSource.format).toBe('lmms-eval-samples');
    expect(run('a').metrics).toEqual(run('b').metrics);
  });
});
