import { closeSync, cpSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../lib/package-root.js';

const GQA = path.join(packageRoot(), 'fixtures/gqa-mini');

export /** A GQA-format set of n questions that reuses the mini set's records and images, written in pieces (1M is about 1 GB). */
function syntheticGqa(n: number, dir: string): { dir: string; predictions: string } {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(GQA, 'images'), path.join(dir, 'images'), { recursive: true });
  const base = JSON.parse(readFileSync(path.join(GQA, 'testdev_balanced_questions.json'), 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
  const records = Object.values(base);
  const questions = openSync(path.join(dir, 'testdev_balanced_questions.json'), 'w');
  const predictions = path.join(dir, 'predictions.jsonl');
  const preds = openSync(predictions, 'w');
  writeSync(questions, '{');
  for (let start = 0; start < n; start += 10_000) {
    const out: string[] = [];
    const lines: string[] = [];
    for (let i = start; i < Math.min(n, start + 10_000); i++) {
      const r = records[i % records.length]!;
      const id = String(30_000_000 + i);
      out.push(`${JSON.stringify(id)}:${JSON.stringify({ ...r, entailed: [], equivalent: [id] })}`);
      lines.push(JSON.stringify({ id, prediction: i % 3 ? String(r['answer']) : 'no' }));
    }
    writeSync(questions, `${start > 0 ? ',' : ''}${out.join(',')}`);
    writeSync(preds, `${lines.join('\n')}\n`);
  }
  writeSync(questions, '}');
  closeSync(questions);
  closeSync(preds);
  return { dir, predictions };
}
