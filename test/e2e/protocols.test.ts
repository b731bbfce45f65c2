import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { GQA_MINI, tempDir } from '../helpers/paths.js';

const records = JSON.parse(readFileSync(path.join(GQA_MINI, 'testdev_balanced_questions.json'), 'utf8')) as Record<
  string,
  { answer: string; question: string }
>;
const work = tempDir('xfbench-protocols-');

function overall(runDir: string): number {
  const run = JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8')) as {
    metrics: Array<{ metric: string; category: string; value: number }>;
  };
  return run.metrics.find((m) => m.metric === 'gqa.accuracy' && m.category === 'overall')!.value;
}

describe('evaluation protocols: --protocol official (the default) and lavis', () => {
  it('scores GQA answers as LAVIS does ("A frisbee." is right against "frisbee"), records the protocol, and compare refuses a mix', () => {
    // every answer given with an article and a period, as generative models often do
    const file = path.join(work, 'articles.jsonl');
    writeFileSync(
      file,
      Object.entries(records)
        .map(([id, r]) => JSON.stringify({ id, prediction: `A ${r.answer}.` }))
        .join('\n'),
    );
    const official = path.join(work, 'official');
    const lavis = path.join(work, 'lavis');
    expect(runCli(['score', 'gqa', '--predictions', file, '--out', official]).status).toBe(0);
    const r = runCli(['score', 'gqa', '--predictions', file, '--out', lavis, '--protocol', 'lavis']);
    expect(r.status, r.stderr).toBe(0);
    expect(overall(official)).toBeLessThan(5);
    expect(overall(lavis)).toBe(100);
    const run = JSON.parse(readFileSync(path.join(lavis, 'run.json'), 'utf8'));
    expect(run.config.protocol).toBe('lavis');
    // the gold answers are stored as the protocol compared them
    const line = JSON.parse(readFileSync(path.join(lavis, 'predictions.jsonl'), 'utf8').split('\n')[0]!);
    expect(line.raw).toMatch(/^A .*\.$/);
    expect(line.prediction).toBe(line.answers[0]);

    const mixed = runCli(['compare', official, lavis]);
    expect(mixed.status).toBe(2);
    expect(mixed.stderr).toMatch(/E_SETTINGS_DIFFER .*protocol: "official" in A, "lavis" in B/);
    const unknown = runCli(['score', 'gqa', '--predictions', file, '--out', path.join(work, 'x'), '--protocol', 'lavish']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/E_PROTOCOL: --protocol lavish: neither a built-in protocol nor a file/);
    // nothing is created, so the same --out works once the name is fixed
    expect(existsSync(path.join(work, 'x'))).toBe(false);
  });

  it("runs a model under LAVIS's question processing, prompt and generation, keeping every prompt", () => {
    const out = path.join(work, 'run-lavis');
    const r = runCli(['run', 'gqa', '--limit', '4', '--out', out, '--device', 'cpu', '--protocol', 'lavis', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const run = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
    expect(run.config).toMatchObject({ protocol: 'lavis', generation: { numBeams: 5, maxNewTokens: 10 } });
    const lines = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; question: string; prompt: string });
    for (const l of lines) {
      const asked = l.question
        .toLowerCase()
        .replace(/[.!"()*#:;~]/g, '')
        .replace(/ +$/, '');
      expect(l.prompt).toBe(`Question: ${asked} Short answer:`);
      // the question as the dataset has it stays in the line
      expect(l.question).toBe(records[l.id]!.question);
    }
    // the official protocol keeps the bundle's own prompt
    const plain = path.join(work, 'run-official');
    expect(runCli(['run', 'gqa', '--limit', '1', '--out', plain, '--device', 'cpu']).status).toBe(0);
    const first = JSON.parse(readFileSync(path.join(plain, 'predictions.jsonl'), 'utf8').split('\n')[0]!);
    expect(first.prompt).toContain(records[first.id]!.question);
  });
});
