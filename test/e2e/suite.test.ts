import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { BUNDLES, tempDir, writeSuiteFile } from '../helpers/paths.js';

const work = tempDir('xfbench-suite-');
const suiteFile = path.join(work, 'small.json');
writeSuiteFile(suiteFile, 'small', [
  { dataset: 'gqa', limit: 300 },
  { dataset: 'pope', name: 'hallucination', limit: 120 },
]);

function gate(rules: object[]): string {
  const file = path.join(work, `gate-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ rules }));
  return file;
}

describe('xfbench suite run', () => {
  it('runs every benchmark into one suite folder, sums them up, continues when run again, and compares suite with suite', () => {
    const clip = path.join(work, 'clip');
    const xformer = path.join(work, 'xformer');
    for (const [out, bundle] of [
      [clip, BUNDLES.clip],
      [xformer, BUNDLES.xformer],
    ] as const) {
      const r = runCli(['suite', 'run', suiteFile, '--model', bundle, '--out', out, '--device', 'cpu']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/suite small · xf-tiny-\w+ · 2 benchmarks/);
      expect(r.stdout).toMatch(/hallucination\s*│ pope\s*│\s*120 │ pope\.accuracy/);
    }
    const record = JSON.parse(readFileSync(path.join(xformer, 'suite.json'), 'utf8')) as {
      members: Array<{ name: string; run: string; headline: { value: number } }>;
    };
    expect(record.members.map((m) => m.name)).toEqual(['gqa', 'hallucination']);
    const gqaRun = JSON.parse(readFileSync(path.join(xformer, 'gqa', 'run.json'), 'utf8')) as {
      metrics: Array<{ metric: string; category: string; value: number }>;
    };
    expect(record.members[0]!.headline.value).toBe(
      gqaRun.metrics.find((m) => m.metric === 'gqa.accuracy' && m.category === 'overall')!.value,
    );
    expect(readFileSync(path.join(xformer, 'summary.md'), 'utf8')).toContain('| hallucination | pope | 120 | pope.accuracy |');
    expect(readFileSync(path.join(xformer, 'summary.html'), 'utf8')).toContain('<td>hallucination</td>');

    // again: every member is found finished and kept
    const again = runCli(['suite', 'run', suiteFile, '--model', BUNDLES.xformer, '--out', xformer, '--device', 'cpu', '--json']);
    expect(again.status, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { suite: typeof record }).suite.members.map((m) => m.headline.value)).toEqual(
      record.members.map((m) => m.headline.value),
    );

    const compared = runCli(['compare', clip, xformer, '--json']);
    expect(compared.status, compared.stderr).toBe(0);
    const out = JSON.parse(compared.stdout) as { comparisons: Array<{ dataset: { id: string } }> };
    expect(out.comparisons.map((c) => c.dataset.id)).toEqual(['gqa', 'pope']);
    // a non-inferiority rule that 300 questions cannot meet fails the gate (exit 3), on the benchmark that has the metric
    const failed = runCli(['compare', clip, xformer, '--gate', gate([{ metric: 'gqa.accuracy', maxDrop: 0.01, mode: 'non-inferiority' }])]);
    expect(failed.status).toBe(3);
    expect(failed.stdout).toMatch(/gate FAILED: 1 of 1 checks/);
    const unknown = runCli(['compare', clip, xformer, '--gate', gate([{ metric: 'mme.score', maxDrop: 1, mode: 'observed' }])]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/E_GATE_UNKNOWN_METRIC .*no benchmark of these suites has/);
  });
});
