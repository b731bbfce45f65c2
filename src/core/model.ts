import * as ort from 'onnxruntime-node';
import type { Bundle, Manifest } from './manifest.js';
import { decodeImage, normalise, resizeForEncoder } from './image.js';
import { chooseProvider, checkGraphIo, openGraph, type ProviderChoice, type SessionOptions } from './sessions.js';
import { BundleTokenizer } from './tokenizer.js';

/** Visual tokens of one image: [1, numTokens, hiddenSize] in the LM's embedding space. */
export interface VisualTokens {
  data: Float32Array;
  dims: readonly [number, number, number];
}

/** One image decoded and preprocessed for each encoder, in the manifest's encoder order. */
export interface PreparedImage {
  file: string;
  pixels: Float32Array[];
}

export interface Generation {
  text: string;
  tokenIds: number[];
  /** Logits of the first generated position, for parity checks. */
  firstLogits: Float32Array;
}

interface Encoder {
  spec: Manifest['encoders'][number];
  session: ort.InferenceSession;
}

function layerName(template: string, layer: number): string {
  return template.replace('{layer}', String(layer));
}

function int64(values: number[], dims: number[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
}

function concatSequence(a: VisualTokens, b: ort.Tensor): ort.Tensor {
  const d = a.dims[2];
  const bData = b.data as Float32Array;
  const out = new Float32Array(a.data.length + bData.length);
  out.set(a.data, 0);
  out.set(bData, a.data.length);
  return new ort.Tensor('float32', out, [1, a.dims[1] + bData.length / d, d]);
}

function argmaxLast(logits: ort.Tensor): { id: number; row: Float32Array } {
  const [, t, v] = logits.dims as [number, number, number];
  const row = (logits.data as Float32Array).subarray((t - 1) * v, t * v);
  let best = 0;
  for (let i = 1; i < v; i++) if (row[i]! > row[best]!) best = i; // first maximum wins, as torch.argmax
  return { id: best, row };
}

/**
 * A model bundle opened on onnxruntime: vision encoders, fusion module and the LM with a key/value
 * cache. Everything it does is driven by the manifest; nothing depends on the bundle's name.
 */
export class VisionLanguageModel {
  private constructor(
    readonly bundle: Bundle,
    readonly provider: ProviderChoice,
    private readonly encoders: Encoder[],
    private readonly fusion: ort.InferenceSession,
    private readonly embed: ort.InferenceSession,
    private readonly decoder: ort.InferenceSession,
    readonly tokenizer: BundleTokenizer,
  ) {}

  /** Milliseconds spent inside onnxruntime's session.run, and how many calls: the compute floor. */
  readonly runtime = { ms: 0, calls: 0 };

  private async exec(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
    const t = performance.now();
    const out = await session.run(feeds);
    this.runtime.ms += performance.now() - t;
    this.runtime.calls += 1;
    return out;
  }

  static async open(bundle: Bundle, opts: SessionOptions): Promise<VisionLanguageModel> {
    const m = bundle.manifest;
    const first = m.encoders[0]!;
    const { session: firstSession, choice } = await chooseProvider(bundle.file(first.graph), opts);
    const open = (graph: string) => openGraph(bundle.file(graph), choice.used, opts.threads);
    const encoders: Encoder[] = [{ spec: first, session: firstSession }];
    for (const spec of m.encoders.slice(1)) encoders.push({ spec, session: await open(spec.graph) });
    for (const e of encoders) checkGraphIo(e.session, bundle.file(e.spec.graph), [e.spec.input], [e.spec.output]);
    const fusion = await open(m.fusion.graph);
    checkGraphIo(fusion, bundle.file(m.fusion.graph), m.encoders.map((e) => e.fusionInput), [m.fusion.output]);
    const embed = await open(m.lm.embedGraph);
    checkGraphIo(embed, bundle.file(m.lm.embedGraph), [m.lm.embedInput], [m.lm.embedOutput]);
    const decoder = await open(m.lm.decoderGraph);
    const c = m.lm.cache;
    const layers = Array.from({ length: c.layers }, (_, i) => i);
    checkGraphIo(
      decoder,
      bundle.file(m.lm.decoderGraph),
      [m.lm.inputs.embeds, m.lm.inputs.attentionMask, m.lm.inputs.positionIds, ...layers.flatMap((i) => [layerName(c.pastKey, i), layerName(c.pastValue, i)])],
      [m.lm.logits, ...layers.flatMap((i) => [layerName(c.presentKey, i), layerName(c.presentValue, i)])],
    );
    const tokenizer = await BundleTokenizer.load(bundle.file(m.tokenizer.file), m.tokenizer.eosToken, m.tokenizer.padToken);
    return new VisionLanguageModel(bundle, choice, encoders, fusion, embed, decoder, tokenizer);
  }

  get manifest(): Manifest {
    return this.bundle.manifest;
  }

  /**
   * CPU-side work for one image: decode it once, then crop, resize and normalise it for every encoder.
   * Kept apart from the model calls so the evaluation loop can prepare the next images while the
   * runtime works on the current one.
   */
  async prepareImage(file: string): Promise<PreparedImage> {
    const decoded = await decodeImage(file);
    return { file, pixels: this.encoders.map(({ spec }) => normalise(resizeForEncoder(decoded, spec.image), spec.image)) };
  }

  /** Every encoder on the prepared image, then the fusion module: the visual tokens the LM reads. */
  async encodePrepared(prepared: PreparedImage): Promise<VisualTokens> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [i, { spec, session }] of this.encoders.entries()) {
      const [w, h] = spec.image.size;
      const out = await this.exec(session, { [spec.input]: new ort.Tensor('float32', prepared.pixels[i]!, [1, 3, h, w]) });
      feeds[spec.fusionInput] = out[spec.output]!;
    }
    const tokens = (await this.exec(this.fusion, feeds))[this.manifest.fusion.output]!;
    const [b, n, d] = tokens.dims as [number, number, number];
    if (b !== 1 || d !== this.manifest.lm.hiddenSize) {
      throw new Error(`fusion output has shape [${tokens.dims.join(', ')}], expected [1, N, ${this.manifest.lm.hiddenSize}]`);
    }
    return { data: tokens.data as Float32Array, dims: [1, n, d] };
  }

  async encodeImage(file: string): Promise<VisualTokens> {
    return this.encodePrepared(await this.prepareImage(file));
  }

  private async embedIds(ids: number[]): Promise<ort.Tensor> {
    const lm = this.manifest.lm;
    return (await this.exec(this.embed, { [lm.embedInput]: int64(ids, [1, ids.length]) }))[lm.embedOutput]!;
  }

  prompt(question: string): string {
    return this.manifest.prompt.template.replace('{question}', question);
  }

  /** Greedy decoding with the key/value cache: one prefill over [visual tokens; prompt], then one token a step. */
  async generate(visual: VisualTokens, question: string): Promise<Generation> {
    const lm = this.manifest.lm;
    const c = lm.cache;
    const gen = this.manifest.generation;
    const promptIds = this.tokenizer.encode(this.prompt(question));
    let embeds = concatSequence(visual, await this.embedIds(promptIds));
    let length = embeds.dims[1]!;
    if (length + gen.maxNewTokens > lm.maxPositions) {
      throw new Error(`prompt of ${length} positions plus ${gen.maxNewTokens} new tokens exceeds the LM's ${lm.maxPositions}`);
    }
    let positions = Array.from({ length }, (_, i) => i);
    let cache: Record<string, ort.Tensor> = {};
    for (let i = 0; i < c.layers; i++) {
      for (const name of [c.pastKey, c.pastValue]) cache[layerName(name, i)] = new ort.Tensor('float32', new Float32Array(0), [1, c.heads, 0, c.headDim]);
    }
    const out: number[] = [];
    let firstLogits: Float32Array | undefined;
    for (let step = 0; step <= gen.maxNewTokens; step++) {
      const result = await this.exec(this.decoder, {
        [lm.inputs.embeds]: embeds,
        [lm.inputs.attentionMask]: int64(new Array<number>(length).fill(1), [1, length]),
        [lm.inputs.positionIds]: int64(positions, [1, positions.length]),
        ...cache,
      });
      const { id, row } = argmaxLast(result[lm.logits]!);
      firstLogits ??= Float32Array.from(row);
      if (id === this.tokenizer.eosId || step === gen.maxNewTokens) break;
      out.push(id);
      if (gen.stop.some((s) => this.tokenizer.decode(out).includes(s))) break;
      const next: Record<string, ort.Tensor> = {};
      for (let i = 0; i < c.layers; i++) {
        next[layerName(c.pastKey, i)] = result[layerName(c.presentKey, i)]!;
        next[layerName(c.pastValue, i)] = result[layerName(c.presentValue, i)]!;
      }
      cache = next;
      embeds = await this.embedIds([id]);
      positions = [length];
      length += 1;
    }
    let text = this.tokenizer.decode(out);
    for (const s of gen.stop) {
      const at = text.indexOf(s);
      if (at >= 0) text = text.slice(0, at);
    }
    return { text, tokenIds: out, firstLogits: firstLogits! };
  }

  async dispose(): Promise<void> {
    for (const s of [...this.encoders.map((e) => e.session), this.fusion, this.embed, this.decoder]) await s.release();
  }
}
