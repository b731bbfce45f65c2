import fc from 'fast-check';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gqaAdapter, normaliseGqaAnswer } from '../../src/datasets/gqa.js';
import { openGvtbench } from '../../src/datasets/gvtbench.js';
import { openMme } from '../../src/datasets/mme.js';
import { openMmvp, parseOptions } from '../../src/datasets/mmvp.js';
import { openPope } from '../../src/datasets/pope.js';
import { openVqa } from '../../src/datasets/vqa.js';
import { XfError } from '../../src/lib/errors.js';
import { mciCorrect, parseCount } from '../../src/metrics/gvtbench.js';
import { mmeLabel } from '../../src/metrics/mme.js';
import { mmvpCorrect } from '../../src/metrics/mmvp.js';
import { popeLabel } from '../../src/metrics/pope.js';
import { vqaAccuracy } from '../../src/metrics/vqa.js';
import { readGenericAnswers } from '../../src/datasets/answers/generic.js';
import { gqaAdapter } from '../../src/datasets/gqa.js';
import { vqav2Adapter } from '../../src/datasets/vqa.js';
import { FIXTURES, tempDir } from '../helpers/paths.js';

const RUNS = { numRuns: 60 };

/** Either it returns samples, or it fails with an XfError; anything else is a crash. */
async function opensOrRefuses(open: () => Promise<{ samples: unknown[] }>): Promise<void> {
  try {
    const ds = await open();
    expect(Array.isArray(ds.samples)).toBe(true);
  } catch (err) {
    if (!(err instanceof XfError)) throw err;
    expect(err.code).toMatch(/^E_[A-Z_]+$/);
    expect(err.oneLine()).not.toContain('\n');
  }
}

// JSON that is sometimes close to the real schema, so the fuzzer reaches deep into the validators
const gqaLike = fc.oneof(
  fc.jsonValue(),
  fc.dictionary(
    fc.string(),
    fc.record(
      {
        imageId: fc.oneof(fc.constant('n00000'), fc.string(), fc.constant('../x')),
        question: fc.string(),
        answer: fc.string(),
        fullAnswer: fc.string(),
        isBalanced: fc.oneof(fc.boolean(), fc.string()),
        types: fc.record({ structural: fc.string(), semantic: fc.string(), detailed: fc.string() }),
        groups: fc.record({ global: fc.option(fc.string()), local: fc.option(fc.string()) }),
        entailed: fc.array(fc.string()),
        equivalent: fc.array(fc.string()),
        semantic: fc.array(fc.record({ operation: fc.string(), argument: fc.string(), dependencies: fc.array(fc.integer()) })),
        semanticStr: fc.string(),
        annotations: fc.record({ answer: fc.constant({}), question: fc.constant({}), fullAnswer: fc.constant({}) }),
      },
      { requiredKeys: [] },
    ),
  ),
);

describe('dataset loaders never crash on arbitrary files', () => {
  const images = path.join(FIXTURES, 'gqa-mini', 'images');

  it('GQA', async () => {
    const dir = tempDir('fuzz-gqa-');
    cpSync(images, path.join(dir, 'images'), { recursive: true });
    await fc.assert(
      fc.asyncProperty(gqaLike, fc.boolean(), async (value, raw) => {
        writeFileSync(path.join(dir, 'testdev_balanced_questions.json'), raw ? JSON.stringify(value).slice(0, -1) : JSON.stringify(value));
        await opensOrRefuses(() => gqaAdapter.open(dir));
      }),
      RUNS,
    );
  });

  it('GVTBench, VQA, POPE, MME and MMVP', async () => {
    const dir = tempDir('fuzz-many-');
    mkdirSync(path.join(dir, 'images'), { recursive: true });
    mkdirSync(path.join(dir, 'val2014'), { recursive: true });
    mkdirSync(path.join(dir, 'MMVP Images'), { recursive: true });
    mkdirSync(path.join(dir, 'mme', 'count'), { recursive: true });
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.string(), async (value, text) => {
        writeFileSync(path.join(dir, 'coco_oc.json'), JSON.stringify(value));
        await opensOrRefuses(() => openGvtbench(dir));
        writeFileSync(path.join(dir, 'v2_questions.json'), JSON.stringify(value));
        writeFileSync(path.join(dir, 'v2_annotations.json'), JSON.stringify({ annotations: value }));
        await opensOrRefuses(() => openVqa('vqav2', dir));
        writeFileSync(path.join(dir, 'coco_pope_random.json'), `${JSON.stringify(value)}\n${text}`);
        await opensOrRefuses(() => openPope(dir));
        writeFileSync(path.join(dir, 'mme', 'count', 'count.txt'), text);
        await opensOrRefuses(() => openMme(path.join(dir, 'mme')));
        writeFileSync(path.join(dir, 'Questions.csv'), `Index,Question,Options,Correct Answer\n${text}`);
        await opensOrRefuses(() => openMmvp(dir));
      }),
      RUNS,
    );
  });

  it('predictions files in every format', async () => {
    const dir = tempDir('fuzz-preds-');
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.string(), async (value, text) => {
        for (const [name, body] of [
          ['p.json', JSON.stringify(value)],
          ['p.jsonl', `${JSON.stringify(value)}\n${text}`],
          ['p.csv', `id,prediction\n${text}`],
        ] as const) {
          writeFileSync(path.join(dir, name), body);
          // the generic readers, and the adapters' own layouts (which may also say "not mine")
          const readers = [
            () => readGenericAnswers(path.join(dir, name)),
            () => gqaAdapter.readAnswers!(path.join(dir, name), noSamples),
            () => vqav2Adapter.readAnswers!(path.join(dir, name), noSamples),
          ];
          for (const read of readers) {
            try {
              const p = await read();
              if (p) expect(p.byId.size).toBeGreaterThan(0);
            } catch (err) {
              if (!(err instanceof XfError)) throw err;
            }
          }
        }
      }),
      RUNS,
    );
  });
});

async function* noSamples(): AsyncGenerator<never> {}

describe('answer normalisers and parsers accept any string', () => {
  it('never throw and return the promised types', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.array(fc.string(), { minLength: 1, maxLength: 10 }), (s, answers) => {
        expect(typeof normaliseGqaAnswer(s)).toBe('string');
        expect(normaliseGqaAnswer(normaliseGqaAnswer(s))).toBe(normaliseGqaAnswer(s)); // idempotent
        const acc = vqaAccuracy(s, answers);
        expect(acc).toBeGreaterThanOrEqual(0);
        expect(acc).toBeLessThanOrEqual(1);
        expect(Number.isInteger(parseCount(s))).toBe(true);
        expect(typeof mciCorrect(s, s)).toBe('boolean');
        expect(['yes', 'no', 'other']).toContain(mmeLabel(s));
        expect(['yes', 'no']).toContain(popeLabel(s));
        expect(typeof mmvpCorrect(s, 'a', { a: s, b: 'x' })).toBe('boolean');
        expect(typeof parseOptions(s)).toBe('object');
      }),
      { numRuns: 500 },
    );
  });
});
