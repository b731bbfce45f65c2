import { describe, expect, it } from 'vitest';
import { gqaAdapter } from '../../src/datasets/gqa.js';
import { vqav2Adapter } from '../../src/datasets/vqa.js';
import { framedPieces } from '../../src/report/formats.js';

async function joined(pieces: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const p of pieces) text += p;
  return text;
}

const answers = [
  { id: '201', prediction: 'yes' },
  { id: '202', prediction: 'a "quoted" 🐘' },
  { id: '203', prediction: '' },
];

describe("benchmarks' official files, written a batch at a time", () => {
  it('equal the file written whole, byte for byte, however the answers are batched (and with none)', async () => {
    for (const [batches, list] of [
      [[], []],
      [[answers.slice(0, 1)], answers.slice(0, 1)],
      [[answers.slice(0, 1), [], answers.slice(1)], answers],
    ] as const) {
      const gqa = await joined(framedPieces(gqaAdapter.exportPredictions!, batches));
      expect(gqa).toBe(
        `${JSON.stringify(
          list.map((a) => ({ questionId: a.id, prediction: a.prediction })),
          null,
          1,
        )}\n`,
      );
      const vqa = await joined(framedPieces(vqav2Adapter.exportPredictions!, batches));
      expect(vqa).toBe(`${JSON.stringify(list.map((a) => ({ question_id: Number(a.id), answer: a.prediction })))}\n`);
    }
  });
});
