import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { GQA_MINI, ROOT, tempDir } from '../helpers/paths.js';
import { bundledRun } from '../helpers/shared-results.js';

describe('GQA metrics agree with an independent implementation of the official definitions', () => {
  it('gives the same numbers to the printed precision for the same predictions', async () => {
    const dir = tempDir();
    // every question, so consistency is computable
    const { out, status } = await bundledRun('clip', 'gqa');
    expect(status).toBe(0);
    const preds = path.join(dir, 'testdev_balanced_predictions.json');
    expect(runCli(['report', out, '--format', 'gqa-predictions', '--output', preds]).status).toBe(0);
    const r = spawnSync(
      '/usr/bin/python3',
      [path.join(ROOT, 'scripts/gqa_crosscheck.py'), path.join(GQA_MINI, 'testdev_balanced_questions.json'), preds],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    const reference = JSON.parse(r.stdout) as Record<string, number>;
    const run = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as {
      metrics: Array<{ metric: string; category: string; value: number | null }>;
    };
    const ours = (metric: string, category: string) => run.metrics.find((m) => m.metric === metric && m.category === category)?.value;
    let compared = 0;
    for (const [key, value] of Object.entries(reference)) {
      if (key === 'consistency') expect(ours('gqa.consistency', 'overall')!.toFixed(2)).toBe(value.toFixed(2));
      else if (key === 'distribution') expect(ours('gqa.distribution', 'overall')!.toFixed(4)).toBe(value.toFixed(4));
      else expect(ours('gqa.accuracy', key)?.toFixed(2), key).toBe(value.toFixed(2));
      compared++;
    }
    expect(compared).toBeGreaterThan(20);

    // round trip: the official predictions file, scored by `xfbench score`, gives the run's numbers
    const scored = path.join(dir, 'scored');
    expect(runCli(['score', 'gqa', '--predictions', preds, '--out', scored, '--json']).status).toBe(0);
    const again = JSON.parse(readFileSync(path.join(scored, 'run.json'), 'utf8')) as typeof run;
    expect(again.metrics).toEqual(run.metrics);
    // line for line the same, but for the prompt the model was given, which only a run knows
    const linesOf = (d: string) =>
      readFileSync(path.join(d, 'predictions.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const withoutPrompt = (lines: Record<string, unknown>[]) => lines.map(({ prompt: _prompt, ...rest }) => rest);
    expect(linesOf(out).every((l) => typeof l['prompt'] === 'string')).toBe(true);
    expect(withoutPrompt(linesOf(scored))).toEqual(withoutPrompt(linesOf(out)));
  });
});
