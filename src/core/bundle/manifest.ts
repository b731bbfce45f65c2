import { stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { XfError } from '../../lib/errors.js';
import { readJson, sha256File, sha256Text } from '../../lib/files.js';
import { VerifiedFiles } from './verified-files.js';

export const MANIFEST_FILE = 'xfbench.json';
export const SUPPORTED_FORMAT_VERSIONS = [1] as const;

const fileName = z
  .string()
  .min(1)
  .refine((f) => !f.includes('/') && !f.includes('\\') && f !== '..' && f !== '.', 'must be a plain file name inside the bundle');

export const imageSpecSchema = z.object({
  size: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  resize: z.enum(['bilinear', 'bicubic', 'lanczos']),
  crop: z.enum(['none', 'center']),
  colorSpace: z.literal('rgb'),
  rescale: z.number().positive(),
  mean: z.tuple([z.number(), z.number(), z.number()]),
  std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
});
export type ImageSpec = z.infer<typeof imageSpecSchema>;

const encoderSchema = z.object({
  id: z.string().min(1),
  graph: fileName,
  input: z.string().min(1),
  output: z.string().min(1),
  fusionInput: z.string().min(1),
  image: imageSpecSchema,
});

export const manifestSchema = z.object({
  format: z.literal('xfbench-bundle'),
  formatVersion: z.number().int(),
  name: z.string().min(1),
  description: z.string().optional(),
  fusionKind: z.enum(['clip', 'clip+mae']),
  encoders: z.array(encoderSchema).min(1),
  fusion: z.object({ graph: fileName, output: z.string().min(1), numTokens: z.number().int().positive() }),
  lm: z.object({
    embedGraph: fileName,
    embedInput: z.string().min(1),
    embedOutput: z.string().min(1),
    decoderGraph: fileName,
    // no positionIds: the LM derives positions from the attention mask (OPT does)
    inputs: z.object({ embeds: z.string(), attentionMask: z.string(), positionIds: z.string().optional() }),
    logits: z.string().min(1),
    cache: z.object({
      layers: z.number().int().positive(),
      heads: z.number().int().positive(),
      headDim: z.number().int().positive(),
      pastKey: z.string().includes('{layer}'),
      pastValue: z.string().includes('{layer}'),
      presentKey: z.string().includes('{layer}'),
      presentValue: z.string().includes('{layer}'),
    }),
    hiddenSize: z.number().int().positive(),
    maxPositions: z.number().int().positive(),
    /**
     * An encoder-decoder LM (T5): its encoder reads [visual tokens; prompt], a graph computes each
     * decoder layer's cross-attention keys and values from the encoder's states once per question, and
     * the decoder graph (cache: self-attention only) takes them with the states and the encoder's mask.
     */
    encoderDecoder: z
      .object({
        encoderGraph: fileName,
        encoderInputs: z.object({ embeds: z.string().min(1), attentionMask: z.string().min(1) }),
        encoderOutput: z.string().min(1),
        crossGraph: fileName,
        crossInput: z.string().min(1),
        crossKey: z.string().includes('{layer}'),
        crossValue: z.string().includes('{layer}'),
        decoderStatesInput: z.string().min(1),
        decoderStartTokenId: z.number().int().nonnegative(),
      })
      .optional(),
  }),
  tokenizer: z.object({
    file: fileName,
    eosToken: z.string().min(1),
    padToken: z.string().min(1),
    /** Run tokenizer.json's post-processor on the prompt (OPT's BOS comes from it). */
    addSpecialTokens: z.boolean().default(false),
    /** transformers' clean_up_tokenization_spaces on decoded answers (" ." to ".", " 's" to "'s", ...). */
    cleanUpSpaces: z.boolean().default(false),
  }),
  prompt: z.object({ template: z.string().includes('{question}') }),
  generation: z
    .object({
      /** greedy is numBeams 1; beam search keeps numBeams hypotheses (transformers' BeamSearchScorer). */
      strategy: z.enum(['greedy', 'beam']),
      numBeams: z.number().int().positive().max(64).default(1),
      maxNewTokens: z.number().int().positive().max(512),
      /** Tokens generated before an end token may be chosen (transformers' min_new_tokens). */
      minNewTokens: z.number().int().nonnegative().default(0),
      /** Beam hypotheses are ranked by log-probability / length ** lengthPenalty. */
      lengthPenalty: z.number().default(1),
      /** Token ids that end an answer (default: the EOS token). */
      endTokenIds: z.array(z.number().int().nonnegative()).min(1).optional(),
      stop: z.array(z.string()).default([]),
    })
    .refine((g) => (g.strategy === 'greedy') === (g.numBeams === 1), 'strategy "greedy" goes with numBeams 1, "beam" with more'),
  /** Where a converted bundle came from (informational). */
  source: z.record(z.string(), z.string()).optional(),
  files: z.record(fileName, z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 hex digest')),
});
export type Manifest = z.infer<typeof manifestSchema>;

export interface Bundle {
  dir: string;
  manifest: Manifest;
  /** sha256 of the manifest bytes; the manifest pins every file's sha256, so this names the bundle. */
  hash: string;
  /** Bytes of its files (graphs and their weights, the tokenizer). */
  bytes: number;
  file(name: string): string;
}

/** Reads, validates and verifies a bundle folder: schema, format version, every file present and intact. */
export async function loadBundle(dir: string, options: { verifyHashes?: boolean } = {}): Promise<Bundle> {
  const manifestPath = path.join(dir, MANIFEST_FILE);
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) {
    throw new XfError('E_BUNDLE_NOT_FOUND', 'model bundle folder not found', {
      file: dir,
      suggestion: 'Pass --model DIR, a folder holding xfbench.json.',
    });
  }
  const version = await readJson(manifestPath, z.object({ formatVersion: z.number() }).passthrough(), 'bundle manifest');
  if (!(SUPPORTED_FORMAT_VERSIONS as readonly number[]).includes(version.value.formatVersion)) {
    throw new XfError('E_MANIFEST_VERSION', `unsupported bundle format version ${version.value.formatVersion}`, {
      file: manifestPath,
      field: 'formatVersion',
      suggestion: `This xfbench reads versions ${SUPPORTED_FORMAT_VERSIONS.join(', ')}.`,
    });
  }
  const { value: manifest, bytes: manifestBytes } = await readJson(manifestPath, manifestSchema, 'bundle manifest');
  const referenced = [
    ...manifest.encoders.map((e) => e.graph),
    manifest.fusion.graph,
    manifest.lm.embedGraph,
    manifest.lm.decoderGraph,
    manifest.tokenizer.file,
    ...(manifest.lm.encoderDecoder ? [manifest.lm.encoderDecoder.encoderGraph, manifest.lm.encoderDecoder.crossGraph] : []),
  ];
  for (const f of referenced) {
    if (!(f in manifest.files)) {
      throw new XfError('E_MANIFEST', `file "${f}" is used but has no sha256 in "files"`, { file: manifestPath, field: 'files' });
    }
  }
  let bytes = 0;
  const verified = options.verifyHashes === false ? undefined : await VerifiedFiles.open();
  for (const [f, expected] of Object.entries(manifest.files)) {
    const p = path.join(dir, f);
    const key = path.resolve(p);
    const fst = await stat(p).catch(() => undefined);
    if (!fst?.isFile()) throw new XfError('E_BUNDLE_FILE_MISSING', `bundle file "${f}" is missing`, { file: p });
    bytes += fst.size;
    if (verified && !verified.known(key, fst, expected)) {
      const actual = await sha256File(p);
      if (actual !== expected) {
        throw new XfError('E_SHA256_MISMATCH', `sha256 ${actual.slice(0, 12)}… does not match the manifest's ${expected.slice(0, 12)}…`, {
          file: p,
          suggestion: 'The file was changed or truncated; re-export the bundle or fix xfbench.json.',
        });
      }
      verified.remember(key, fst, actual);
    }
  }
  await verified?.save();
  return { dir, manifest, hash: sha256Text(manifestBytes), bytes, file: (name) => path.join(dir, name) };
}
