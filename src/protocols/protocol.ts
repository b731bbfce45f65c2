import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { XfError } from '../lib/errors.js';
import { readJson } from '../lib/files.js';
import { packageRoot } from '../lib/package-root.js';
import { processDigitArticle, processPunctuation, pyStrip } from '../metrics/vqa.js';

/**
 * An evaluation protocol as data: how a question is processed before the prompt, the prompt, the
 * generation settings and how answers (and golds) are normalised before scoring. `official` is what
 * each dataset's own scorer does; `lavis` is LAVIS's BLIP-2 zero-shot evaluation. A lab adds its own
 * as a file (`--protocol my-protocol.json`), without code.
 */
export const protocolSchema = z
  .object({
    $schema: z.string().optional(),
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, ".", "_" and "-"'),
    description: z.string(),
    /** Applied to each question before it goes into the prompt, in this order. */
    question: z
      .object({
        lowercase: z.boolean().default(false),
        /** Every one of these characters is deleted. */
        delete: z.string().default(''),
        /** These characters are stripped from the end. */
        rstrip: z.string().default(''),
        /** Split on single spaces and keep the first this many words. */
        maxWords: z.number().int().positive().optional(),
      })
      .strict()
      .default({ lowercase: false, delete: '', rstrip: '' }),
    /** The prompt around the processed question (replaces the bundle's). */
    prompt: z
      .string()
      .refine((s) => s.includes('{question}'), 'must hold {question}')
      .optional(),
    /** Generation settings that replace the bundle's (the run's own flags still win). */
    generation: z
      .object({
        numBeams: z.number().int().positive().max(64),
        maxNewTokens: z.number().int().positive().max(512),
        minNewTokens: z.number().int().nonnegative(),
        lengthPenalty: z.number(),
      })
      .partial()
      .strict()
      .optional(),
    /**
     * Per dataset id, how answers are normalised before scoring: `dataset` (the dataset's own, the
     * default); `vqa-eval-answer` (the VQA tools' punctuation then digit/article processing on the
     * answer, the gold answers as they are: LAVIS's GQATask as released, salesforce-lavis 1.0.2, which
     * produced BLIP-2's published numbers); or `vqa-eval` (the same on the answer and on every gold
     * answer: LAVIS's main branch since December 2023).
     */
    answers: z.record(z.string(), z.enum(['dataset', 'vqa-eval-answer', 'vqa-eval'])).default({}),
  })
  .strict();
export type Protocol = z.infer<typeof protocolSchema>;

export const DEFAULT_PROTOCOL = 'official';

/** The protocols shipped in protocols/. */
export function builtInProtocols(): string[] {
  return ['official', 'lavis', 'lavis-main'];
}

/** A protocol by built-in name or by file. */
export async function loadProtocol(nameOrFile: string = DEFAULT_PROTOCOL): Promise<Protocol> {
  const builtIn = builtInProtocols().includes(nameOrFile);
  const file = builtIn ? path.join(packageRoot(), 'protocols', `${nameOrFile}.json`) : path.resolve(nameOrFile);
  if (!builtIn && !existsSync(file))
    throw new XfError('E_PROTOCOL', `--protocol ${nameOrFile}: neither a built-in protocol nor a file`, {
      suggestion: `Built in: ${builtInProtocols().join(', ')}; or a JSON file (schemas/protocol.schema.json).`,
    });
  return (await readJson(file, protocolSchema, 'protocol file')).value;
}

/** The question as the protocol hands it to the prompt. */
export function processQuestion(protocol: Protocol, question: string): string {
  const q = protocol.question;
  let s = q.lowercase ? question.toLowerCase() : question;
  if (q.delete) s = [...s].filter((c) => !q.delete.includes(c)).join('');
  if (q.rstrip) {
    let end = s.length;
    while (end > 0 && q.rstrip.includes(s[end - 1]!)) end--;
    s = s.slice(0, end);
  }
  if (q.maxWords !== undefined) {
    const words = s.split(' ');
    if (words.length > q.maxWords) s = words.slice(0, q.maxWords).join(' ');
  }
  return s;
}

/**
 * The protocol's answer normalisation for a dataset, when it replaces the dataset's own (undefined: the
 * dataset's), and the gold answers' when it normalises those too.
 */
export function answerNormaliser(
  protocol: Protocol,
  datasetId: string,
): { answer: (text: string) => string; gold?: (text: string) => string } | undefined {
  const mode = protocol.answers[datasetId] ?? 'dataset';
  if (mode === 'dataset') return undefined;
  // LAVIS's models strip the generated text; its task then applies the two VQA tools' steps
  const answer = (text: string) => processDigitArticle(processPunctuation(pyStrip(text)));
  return mode === 'vqa-eval' ? { answer, gold: (text) => processDigitArticle(processPunctuation(text)) } : { answer };
}
