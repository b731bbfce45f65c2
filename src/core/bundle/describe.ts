import type * as ort from 'onnxruntime-node';
import { stat } from 'node:fs/promises';
import type { Bundle, Manifest } from './manifest.js';
import { openBundleSessions } from './open-sessions.js';

export interface ValueDescription {
  name: string;
  type: string;
  /** Dimensions; a name (e.g. "batch") where the graph leaves one free. */
  shape: (number | string)[];
}

export interface GraphDescription {
  role: string;
  file: string;
  bytes: number;
  sha256: string;
  inputs: ValueDescription[];
  outputs: ValueDescription[];
}

export interface BundleDescription {
  dir: string;
  name: string;
  description?: string;
  sha256: string;
  formatVersion: number;
  fusionKind: Manifest['fusionKind'];
  visualTokens: number;
  graphs: GraphDescription[];
  preprocessing: Array<{ encoder: string } & Manifest['encoders'][number]['image']>;
  lm: { hiddenSize: number; maxPositions: number; layers: number; heads: number; headDim: number };
  tokenizer: Manifest['tokenizer'] & { bytes: number };
  prompt: Manifest['prompt'];
  generation: Manifest['generation'];
}

function values(meta: readonly ort.InferenceSession.ValueMetadata[]): ValueDescription[] {
  return meta.map((m) =>
    m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name, type: 'non-tensor', shape: [] },
  );
}

/** What a bundle holds, read from its manifest and from its graphs as onnxruntime opens them (on the CPU). */
export async function describeBundle(bundle: Bundle): Promise<BundleDescription> {
  const m = bundle.manifest;
  const sessions = await openBundleSessions(bundle, { device: 'cpu' });
  try {
    // a graph's weights may sit in an external data file beside it (convert --external-data)
    const bytesOf = async (file: string) => {
      const data = file.replace(/\.onnx$/, '.data');
      return (await stat(bundle.file(file))).size + (data !== file && data in m.files ? (await stat(bundle.file(data))).size : 0);
    };
    const graph = async (role: string, file: string, session: ort.InferenceSession): Promise<GraphDescription> => ({
      role,
      file,
      bytes: await bytesOf(file),
      sha256: m.files[file]!,
      inputs: values(session.inputMetadata),
      outputs: values(session.outputMetadata),
    });
    const graphs = [
      ...(await Promise.all(sessions.encoders.map((e) => graph(`encoder ${e.spec.id}`, e.spec.graph, e.session)))),
      await graph(`fusion (${m.fusionKind})`, m.fusion.graph, sessions.fusion),
      await graph('LM token embeddings', m.lm.embedGraph, sessions.embed),
      ...(sessions.seq2seq && m.lm.encoderDecoder
        ? [
            await graph('LM encoder (visual tokens and prompt)', m.lm.encoderDecoder.encoderGraph, sessions.seq2seq.encoder),
            await graph('LM cross-attention keys and values', m.lm.encoderDecoder.crossGraph, sessions.seq2seq.cross),
          ]
        : []),
      await graph('LM decoder (with key/value cache)', m.lm.decoderGraph, sessions.decoder),
    ];
    return {
      dir: bundle.dir,
      name: m.name,
      description: m.description,
      sha256: bundle.hash,
      formatVersion: m.formatVersion,
      fusionKind: m.fusionKind,
      visualTokens: m.fusion.numTokens,
      graphs,
      preprocessing: m.encoders.map((e) => ({ encoder: e.id, ...e.image })),
      lm: {
        hiddenSize: m.lm.hiddenSize,
        maxPositions: m.lm.maxPositions,
        layers: m.lm.cache.layers,
        heads: m.lm.cache.heads,
        headDim: m.lm.cache.headDim,
      },
      tokenizer: { ...m.tokenizer, bytes: (await stat(bundle.file(m.tokenizer.file))).size },
      prompt: m.prompt,
      generation: m.generation,
    };
  } finally {
    await sessions.release();
  }
}
