import { cpSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBundle } from '../../src/core/bundle/manifest.js';
import { VisionLanguageModel } from '../../src/core/model.js';
import type { XfError } from '../../src/lib/errors.js';
import { BUNDLES, editManifest, tempDir } from '../helpers/paths.js';

function copyBundle(): string {
  const dir = path.join(tempDir(), 'bundle');
  cpSync(BUNDLES.xformer, dir, { recursive: true });
  return dir;
}

async function errorOf(p: Promise<unknown>): Promise<XfError> {
  return (await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  )) as XfError;
}

describe('bundle manifest', () => {
  it('loads both bundled models and names each by the hash of its manifest', async () => {
    const a = await loadBundle(BUNDLES.clip);
    const b = await loadBundle(BUNDLES.xformer);
    expect(a.manifest.fusionKind).toBe('clip');
    expect(b.manifest.encoders.map((e) => e.id)).toEqual(['clip', 'mae']);
    expect(a.hash).not.toBe(b.hash);
  });

  it.each([
    [
      'an unknown format version',
      (d: string) =>
        editManifest(d, (m) => {
          m.formatVersion = 9;
        }),
      'E_MANIFEST_VERSION',
      'formatVersion',
    ],
    [
      'a wrong field type',
      (d: string) =>
        editManifest(d, (m) => {
          m.fusion.numTokens = 'sixteen';
        }),
      'E_SCHEMA',
      'fusion.numTokens',
    ],
    [
      'a graph outside the bundle',
      (d: string) =>
        editManifest(d, (m) => {
          m.fusion.graph = '../fusion.onnx';
        }),
      'E_SCHEMA',
      'fusion.graph',
    ],
    ['malformed JSON', (d: string) => writeFileSync(path.join(d, 'xfbench.json'), '{"format": '), 'E_BAD_JSON', undefined],
    ['a missing graph', (d: string) => rmSync(path.join(d, 'mae_encoder.onnx')), 'E_BUNDLE_FILE_MISSING', undefined],
    ['a tampered graph', (d: string) => appendFileSync(path.join(d, 'fusion.onnx'), 'x'), 'E_SHA256_MISMATCH', undefined],
  ])('refuses %s', async (_what, damage, code, field) => {
    const dir = copyBundle();
    damage(dir);
    const err = await errorOf(loadBundle(dir));
    expect(err.code).toBe(code);
    expect(err.file).toContain(dir);
    if (field) expect(err.field).toBe(field);
  });

  it('refuses a graph whose input names differ from the manifest', async () => {
    const dir = copyBundle();
    editManifest(dir, (m) => {
      m.encoders[1].fusionInput = 'mae_feats';
    });
    const err = await errorOf(loadBundle(dir).then((b) => VisionLanguageModel.open(b, { device: 'cpu' })));
    expect(err.code).toBe('E_GRAPH_IO');
    expect(err.message).toMatch(/no input "mae_feats"/);
  });

  it('never silently runs on CPU when CUDA was asked for and cannot load', async () => {
    delete process.env.NVIDIA_TF32_OVERRIDE;
    const bundle = await loadBundle(BUNDLES.clip);
    const outcome = await VisionLanguageModel.open(bundle, { device: 'cuda' }).then(
      async (m) => {
        const used = m.provider.used;
        await m.dispose();
        return used;
      },
      (e: XfError) => e.code,
    );
    // on a machine with a working CUDA provider this is 'cuda'; anywhere else it must be the error
    expect(['cuda', 'E_CUDA_UNAVAILABLE']).toContain(outcome);
    // asked for before NVIDIA's libraries could load: float32 without TF32 (docs/cuda.md)
    expect(process.env.NVIDIA_TF32_OVERRIDE).toBe('0');
  });
});

describe('the prompt template', () => {
  it('puts the question in as text: "$&" and "$\'" in a question are not replacement patterns', async () => {
    const { loadBundle } = await import('../../src/core/bundle/manifest.js');
    const { BundleTokenizer } = await import('../../src/core/language/tokenizer.js');
    const { PromptEncoder } = await import('../../src/core/language/prompts.js');
    const bundle = await loadBundle(BUNDLES.xformer);
    const t = bundle.manifest.tokenizer;
    const prompts = new PromptEncoder(
      bundle.manifest.prompt.template,
      await BundleTokenizer.load(bundle.file(t.file), t.eosToken, t.padToken),
    );
    const question = "is it $& or $' or $$?";
    expect(prompts.prompt(question)).toBe(bundle.manifest.prompt.template.split('{question}').join(question));
  });
});
