import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PredictionWriter, readPredictionLines, type PredictionLine } from '../../src/runs/prediction-line.js';
import { readRun } from '../../src/runs/read-run.js';
import { RESULTS_FILE, ResultsFileWriter } from '../../src/runs/results-file.js';
import { openResults, readResultLines } from '../../src/runs/results-reader.js';
import { PREDICTIONS_FILE } from '../../src/runs/run-dir.js';
import { runCli } from '../helpers/cli.js';
import { CONVERTER_PYTHON } from '../helpers/converter.js';
import { GQA_MINI, tempDir } from '../helpers/paths.js';

/** Lines that use every corner of the layout: later keys, mixed types, nulls, errors, raw answers, prompts. */
function awkwardLines(n: number): PredictionLine[] {
  return Array.from({ length: n }, (_, i): PredictionLine => {
    const extra: Record<string, unknown> = { steps: i % 4, isBalanced: i % 5 !== 0, entailed: [`q${i + 1}`], note: `n${i}` };
    if (i === 7) extra['note'] = 42; // another type than the column's: kept exactly all the same
    if (i === 8) extra['note'] = null; // an explicit null is not an absent key
    if (i === 9) delete extra['steps'];
    if (i >= 6) extra['late'] = { nested: [i, 'x'] }; // a key the first row group never had
    return {
      id: `q${i}`,
      imageId: `img${i % 3}`,
      question: `Is ünïcode 🐘 fine in question ${i}?`,
      prediction: i % 2 ? 'yes' : '',
      ...(i % 3 === 0 ? { raw: ` Yes ${i}.` } : {}),
      answers: i === 4 ? [] : i % 2 ? ['yes'] : ['no', 'nope'],
      scores: { correct: i % 2, ...(i === 10 ? { late: 0.5 } : {}) },
      categories: { structural: i % 2 ? 'verify' : null, semantic: 'rel', ...(i === 11 ? { extra: 'cat' } : {}) },
      group: `img${i % 3}`,
      extra,
      ...(i % 4 === 1 ? { prompt: `Question: ${i}? Answer:` } : {}),
      ...(i === 5 ? { error: { code: 'E_IMAGE', message: 'undecodable image' } } : {}),
    };
  });
}

function writeRunFiles(dir: string, lines: readonly PredictionLine[], rowGroup: number): void {
  const log = new PredictionWriter(path.join(dir, PREDICTIONS_FILE));
  lines.forEach((l) => log.append(l));
  log.close();
  const results = new ResultsFileWriter(dir, rowGroup);
  lines.forEach((l) => results.add(l));
  results.finish();
}

async function linesOf(dir: string): Promise<PredictionLine[]> {
  const state = await openResults(dir);
  if (state.state !== 'fresh') throw new Error(state.reason);
  const out: PredictionLine[] = [];
  for await (const l of readResultLines(state.source)) out.push(l);
  return out;
}

describe('results.parquet', () => {
  it('holds every line exactly, across row groups, with keys and types the first group did not have', async () => {
    const dir = tempDir();
    const lines = awkwardLines(14);
    writeRunFiles(dir, lines, 4);
    expect(await linesOf(dir)).toEqual(lines);
  });

  it('is read only while it matches predictions.jsonl; otherwise the log is read', async () => {
    const dir = tempDir();
    const lines = awkwardLines(6);
    writeRunFiles(dir, lines, 4);
    expect((await openResults(dir)).state).toBe('fresh');
    const edited = { ...lines[0]!, prediction: 'edited' };
    appendFileSync(path.join(dir, PREDICTIONS_FILE), `${JSON.stringify(edited)}\n`);
    const state = await openResults(dir);
    expect(state).toMatchObject({ state: 'stale', reason: 'predictions.jsonl changed after results.parquet was written' });
    writeFileSync(path.join(dir, RESULTS_FILE), 'not parquet');
    expect((await openResults(dir)).state).toBe('stale');
  });

  it('is written by score in dataset order, read by DuckDB with the figures run.json reports, and rewritten by upgrade', () => {
    const work = tempDir();
    const records = JSON.parse(readFileSync(path.join(GQA_MINI, 'testdev_balanced_questions.json'), 'utf8')) as Record<
      string,
      { answer: string }
    >;
    const ids = Object.keys(records);
    // predictions in reverse: the columnar file still follows the dataset
    const file = path.join(work, 'p.jsonl');
    writeFileSync(file, ids.map((id, i) => JSON.stringify({ id, prediction: i % 3 ? records[id]!.answer : 'no' })).reverse().join('\n'));
    const out = path.join(work, 'run');
    expect(runCli(['score', 'gqa', '--predictions', file, '--out', out]).status).toBe(0);
    const run = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as {
      metrics: { metric: string; category: string; n: number; value: number }[];
    };
    const figure = (category: string) => run.metrics.find((m) => m.metric === 'gqa.accuracy' && m.category === category)!;
    // DuckDB, from Python, knows nothing of xfbench: the file alone gives the same numbers
    const query = `
import duckdb, json, sys
con = duckdb.connect()
rows = con.execute("""select "category.structural", count(*), avg("score.correct") * 100 from read_parquet(?)
  where "extra.isBalanced" is distinct from false group by 1 order by 1""", [sys.argv[1]]).fetchall()
ids = [r[0] for r in con.execute("select id from read_parquet(?)", [sys.argv[1]]).fetchall()]
answers = con.execute("select answers from read_parquet(?) limit 1", [sys.argv[1]]).fetchone()[0]
print(json.dumps({"rows": rows, "ids": ids, "answers": answers}))
`;
    const py = spawnSync(CONVERTER_PYTHON, ['-c', query, path.join(out, RESULTS_FILE)], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const seen = JSON.parse(py.stdout) as { rows: [string, number, number][]; ids: string[]; answers: string[] };
    expect(seen.ids).toEqual(ids);
    expect(seen.answers).toEqual([records[ids[0]!]!.answer]);
    expect(seen.rows.length).toBeGreaterThan(2);
    for (const [structural, n, accuracy] of seen.rows) {
      const f = figure(`structural/${structural}`);
      expect(n).toBe(f.n);
      expect(accuracy).toBeCloseTo(f.value, 9);
    }

    // an older run (no columnar file) is upgraded by one command; a current one is left alone
    const old = path.join(work, 'old');
    cpSync(out, old, { recursive: true });
    rmSync(path.join(old, RESULTS_FILE));
    const up = runCli(['upgrade', old, out, '--json']);
    expect(up.status, up.stderr).toBe(0);
    expect(JSON.parse(up.stdout).runs.map((r: { action: string }) => r.action)).toEqual(['written', 'current']);
    expect(existsSync(path.join(old, RESULTS_FILE))).toBe(true);
  });

  it('gives readers the log when the columnar file is stale, so an edit is never hidden', async () => {
    const work = tempDir();
    const file = path.join(work, 'p.jsonl');
    const records = JSON.parse(readFileSync(path.join(GQA_MINI, 'testdev_balanced_questions.json'), 'utf8')) as Record<
      string,
      { answer: string }
    >;
    writeFileSync(file, Object.keys(records).map((id) => JSON.stringify({ id, prediction: records[id]!.answer })).join('\n'));
    const out = path.join(work, 'run');
    expect(runCli(['score', 'gqa', '--predictions', file, '--out', out]).status).toBe(0);
    // the stored score of the first line no longer matches its prediction: compare must see it
    const log = path.join(out, PREDICTIONS_FILE);
    const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
    const first = JSON.parse(lines[0]!) as PredictionLine;
    lines[0] = JSON.stringify({ ...first, prediction: `${first.prediction}-edited` });
    writeFileSync(log, `${lines.join('\n')}\n`);
    const fromLog: PredictionLine[] = [];
    for await (const l of readPredictionLines(log)) fromLog.push(l);
    expect((await readRun(out)).rows).toEqual(fromLog);
    const r = runCli(['compare', out, out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/E_RUN_CORRUPT.*line 1 .*stores correct = 1, but its prediction/);
  });

  it('refuses to upgrade a run that has not finished', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ status: 'running' }));
    writeFileSync(path.join(dir, PREDICTIONS_FILE), '');
    const r = runCli(['upgrade', dir]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
