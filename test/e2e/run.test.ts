import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { BUNDLES, GQA_MINI, ROOT, tempDir } from '../helpers/paths.js';
import { datasetRegistry } from '../../src/datasets/registry.js';
import { metricRegistry } from '../../src/metrics/registry.js';

describe('xfbench run gqa (end to end through the CLI)', () => {
  it('evaluates the bundled defaults and writes a complete run directory', () => {
    const out = path.join(tempDir(), 'run');
    const r = runCli(['run', 'gqa', '--limit', '60', '--out', out, '--device', 'cpu', '--threads', '1']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('gqa · xf-tiny-xformer · 60 questions · cpu');
    for (const row of ['overall', 'binary', 'open', 'structural/verify', 'semantic/attr']) expect(r.stdout).toContain(row);
    expect(r.stdout).not.toMatch(/\x1b\[/); // no colour when not a terminal

    const run = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
    expect(run.bundle.name).toBe('xf-tiny-xformer');
    expect(run.bundle.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(run.dataset.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(run.provider).toEqual({ requested: 'cpu', used: 'cpu' });
    expect(run.config.threads).toBe(1);
    expect(run.xfbenchVersion).toMatch(/^\d+\.\d+\.\d+/);
    const lines = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(60);
    expect(new Set(lines.map((l) => l.id)).size).toBe(60);
    const correct = lines.filter((l) => l.extra.isBalanced).reduce((s, l) => s + l.scores.correct, 0);
    const balanced = lines.filter((l) => l.extra.isBalanced).length;
    const overall = run.metrics.find((m: { category: string }) => m.category === 'overall');
    expect(overall.n).toBe(balanced);
    expect(overall.value).toBeCloseTo((100 * correct) / balanced, 10);
    expect(overall.interval.low).toBeLessThan(overall.value);
  });

  it('prints a JSON summary with --json and nothing else on stdout', () => {
    const out = path.join(tempDir(), 'run');
    const r = runCli(['run', 'gqa', '--model', BUNDLES.clip, '--limit', '10', '--out', out, '--device', 'cpu', '--json']);
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.bundle).toBe('xf-tiny-clip');
    expect(summary.questions).toBe(10);
    expect(summary.metrics[0].category).toBe('overall');
  });

  it('answers bad input with one line and exit status 2, keeping what was written', () => {
    const out = path.join(tempDir(), 'run');
    expect(runCli(['run', 'gqa', '--limit', '2', '--out', out, '--device', 'cpu']).status).toBe(0);
    const before = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8');
    const cases: Array<[string[], RegExp]> = [
      [
        ['run', 'gqa', '--limit', '3', '--out', out],
        /E_RESUME_MISMATCH .*run\.json \(fingerprint\.settings\): cannot continue this run: the settings/,
      ],
      [['run', 'gqaa'], /E_UNKNOWN_DATASET.*Did you mean: gqa/],
      [['run', 'gqa', '--model', '/nonexistent/bundle'], /E_BUNDLE_NOT_FOUND \/nonexistent\/bundle/],
      [['run', 'gqa', '--data', '/nonexistent/data', '--out', path.join(tempDir(), 'x')], /E_DATA_DIR \/nonexistent\/data/],
      [['run', 'gqa', '--device', 'tpu'], /E_USAGE/],
    ];
    for (const [args, pattern] of cases) {
      const r = runCli(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(readFileSync(path.join(out, 'predictions.jsonl'), 'utf8')).toBe(before);
  });
});

describe('xfbench run --baseline --gate (one command for CI)', () => {
  it('runs, compares with the baseline and applies the gate', () => {
    const dir = tempDir();
    const base = path.join(dir, 'base');
    expect(runCli(['run', 'gqa', '--limit', '30', '--out', base, '--device', 'cpu', '--json']).status).toBe(0);
    const gate = path.join(ROOT, 'examples/ci/gate.json');
    const candidate = (out: string, ...more: string[]) =>
      runCli(['run', 'gqa', '--limit', '30', '--out', path.join(dir, out), '--device', 'cpu', '--baseline', base, '--gate', gate, ...more]);
    const r = candidate('cand');
    // 30 questions are on a handful of images: too few for any rule to be judged, so the gate fails...
    expect(r.status, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/too few images for a verdict \(\d < 10, --min-images\): fails/);
    // ...unless the user says so, and then every rule is listed as skipped, not passed
    const allowed = candidate('cand2', '--allow-few');
    expect(allowed.status, allowed.stderr).toBe(0);
    expect(allowed.stdout).toMatch(/gate passed: (\d+) checks at α = 0\.1, \1 skipped/);
    const bad = runCli([
      'run',
      'gqa',
      '--limit',
      '30',
      '--out',
      path.join(dir, 'c2'),
      '--baseline',
      base,
      '--gate',
      path.join(dir, 'missing.json'),
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/E_MISSING_FILE .*missing\.json/);
  });
});

describe('per-sample faults', () => {
  it('records undecodable images as errors and goes on; --max-errors stops cleanly and the run can continue', () => {
    const data = path.join(tempDir(), 'gqa');
    cpSync(GQA_MINI, data, { recursive: true });
    const records = JSON.parse(readFileSync(path.join(data, 'testdev_balanced_questions.json'), 'utf8'));
    const firstImages = [...new Set(Object.values(records).map((r) => (r as { imageId: string }).imageId))].slice(0, 3);
    writeFileSync(path.join(data, 'images', `${firstImages[0]}.png`), 'this is not an image');
    const png = readFileSync(path.join(data, 'images', `${firstImages[1]}.png`));
    writeFileSync(path.join(data, 'images', `${firstImages[1]}.png`), png.subarray(0, 40)); // truncated
    rmSync(path.join(data, 'images', `${firstImages[2]}.png`)); // missing

    const out = path.join(tempDir(), 'run');
    const r = runCli(['run', 'gqa', '--data', data, '--limit', '60', '--out', out, '--device', 'cpu']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/xfbench: \d+ samples failed \(E_IMAGE ×\d+\)/);
    const lines = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(60);
    const failed = lines.filter((l) => l.error);
    expect(new Set(failed.map((l) => l.imageId))).toEqual(new Set(firstImages));
    const run = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
    expect(run.errors.count).toBe(failed.length);

    const out2 = path.join(tempDir(), 'run2');
    const stopped = runCli(['run', 'gqa', '--data', data, '--limit', '60', '--out', out2, '--device', 'cpu', '--max-errors', '0']);
    expect(stopped.status).toBe(2);
    expect(stopped.stderr).toMatch(/E_TOO_MANY_ERRORS .*what was done is kept/);
    expect(JSON.parse(readFileSync(path.join(out2, 'run.json'), 'utf8')).status).toBe('stopped');
  });
});

describe('xfbench list', () => {
  it('names every dataset and metric, with the direction of each metric', () => {
    const r = runCli(['list', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { datasets: Array<{ id: string }>; metrics: Array<{ id: string; higherIsBetter: boolean }> };
    expect(out.datasets.map((d) => d.id)).toEqual(datasetRegistry().ids());
    expect(out.metrics.map((m) => m.id)).toEqual(metricRegistry().ids());
    expect(out.metrics.find((m) => m.id === 'gqa.distribution')!.higherIsBetter).toBe(false);
    expect(out.metrics.find((m) => m.id === 'gqa.accuracy')!.higherIsBetter).toBe(true);
  });
});
