import type * as ort from 'onnxruntime-node';
import { CacheNames } from './cache-names.js';
import type { Bundle, Manifest } from './manifest.js';
import { checkGraphIo, chooseProvider, defaultIntraOpThreads, openGraph, type ProviderChoice, type SessionOptions } from './sessions.js';

export interface EncoderSession {
  spec: Manifest['encoders'][number];
  session: ort.InferenceSession;
}

/** Every graph a bundle names, opened on one provider and checked against the manifest's names. */
export interface BundleSessions {
  provider: ProviderChoice;
  encoders: EncoderSession[];
  fusion: ort.InferenceSession;
  embed: ort.InferenceSession;
  decoder: ort.InferenceSession;
  /** An encoder-decoder LM's encoder and cross-attention graphs. */
  seq2seq?: { encoder: ort.InferenceSession; cross: ort.InferenceSession };
  release(): Promise<void>;
}

/**
 * On a provider that keeps outputs in device memory (WebGPU), the encoders' features go to the
 * fusion graph and the decoder's keys and values to its next call without a trip through the host,
 * unless the run reads the features itself (ablations). Logits and visual tokens always come back.
 */
export async function openBundleSessions(bundle: Bundle, opts: SessionOptions): Promise<BundleSessions> {
  const m = bundle.manifest;
  const first = m.encoders[0]!;
  const threads = opts.threads ?? defaultIntraOpThreads(bundle.bytes);
  const featuresOnDevice = (spec: Manifest['encoders'][number]) => (opts.hostReadsFeatures ? [] : [spec.output]);
  const { session: firstSession, choice } = await chooseProvider(bundle.file(first.graph), { ...opts, threads }, featuresOnDevice(first));
  const open = (graph: string, outputsOnDevice?: readonly string[]) => openGraph(bundle.file(graph), choice.used, threads, outputsOnDevice);
  const kv = new CacheNames(m.lm.cache);
  const ed = m.lm.encoderDecoder;
  // the provider is settled by the first graph; the others are created side by side (onnxruntime
  // optimises each graph on a thread of its own: a run of a tiny bundle starts 0.1 s sooner)
  const [others, fusion, embed, decoder, seq2seq] = await Promise.all([
    Promise.all(m.encoders.slice(1).map((spec) => open(spec.graph, featuresOnDevice(spec)))),
    open(m.fusion.graph),
    open(m.lm.embedGraph),
    open(m.lm.decoderGraph, kv.presentNames()),
    ed ? Promise.all([open(ed.encoderGraph), open(ed.crossGraph)]).then(([encoder, cross]) => ({ encoder, cross })) : undefined,
  ]);
  const encoders: EncoderSession[] = [
    { spec: first, session: firstSession },
    ...others.map((session, i) => ({ spec: m.encoders[i + 1]!, session })),
  ];
  for (const e of encoders) checkGraphIo(e.session, bundle.file(e.spec.graph), [e.spec.input], [e.spec.output]);
  checkGraphIo(
    fusion,
    bundle.file(m.fusion.graph),
    m.encoders.map((e) => e.fusionInput),
    [m.fusion.output],
  );
  checkGraphIo(embed, bundle.file(m.lm.embedGraph), [m.lm.embedInput], [m.lm.embedOutput]);
  const crossNames = ed ? kv.pairNames(ed.crossKey, ed.crossValue) : [];
  checkGraphIo(
    decoder,
    bundle.file(m.lm.decoderGraph),
    [
      m.lm.inputs.embeds,
      m.lm.inputs.attentionMask,
      ...(m.lm.inputs.positionIds ? [m.lm.inputs.positionIds] : []),
      ...kv.pastNames(),
      ...(ed ? [ed.decoderStatesInput, ...crossNames] : []),
    ],
    [m.lm.logits, ...kv.presentNames()],
  );
  if (ed && seq2seq) {
    checkGraphIo(
      seq2seq.encoder,
      bundle.file(ed.encoderGraph),
      [ed.encoderInputs.embeds, ed.encoderInputs.attentionMask],
      [ed.encoderOutput],
    );
    checkGraphIo(seq2seq.cross, bundle.file(ed.crossGraph), [ed.crossInput], crossNames);
  }
  return {
    provider: choice,
    encoders,
    fusion,
    embed,
    decoder,
    seq2seq,
    async release() {
      for (const s of [...encoders.map((e) => e.session), fusion, embed, decoder, ...(seq2seq ? [seq2seq.encoder, seq2seq.cross] : [])])
        await s.release();
    },
  };
}
