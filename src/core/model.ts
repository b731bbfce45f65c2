import * as ort from 'onnxruntime-node';
import type { Bundle, Manifest } from './manifest.js';
import { preprocessForEncoders } from './image.js';
import { chooseProvider, checkGraphIo, openGraph, type ProviderChoice, type SessionOptions } from './sessions.js';
import { ImagePool } from './image-pool.js';
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

/** The LM's keys and values over one image's visual tokens, reused by every question about it. */
export interface ImagePrefix {
  /** Positions it occupies: the number of visual tokens. */
  length: number;
  /** Per past-key/value input name: [1, heads, length, headDim]. */
  past: Record<string, Float32Array>;
}

export interface GenerationRequest {
  prefix: ImagePrefix;
  question: string;
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

/** Equal-length rows laid end to end (into `out` when given): the batch dimension of a tensor. */
function stackRows(rows: readonly Float32Array[], out?: Float32Array): Float32Array {
  const length = rows[0]!.length;
  const stacked = out ?? new Float32Array(rows.length * length);
  rows.forEach((r, i) => stacked.set(r, i * length));
  return stacked;
}

/**
 * Float32 arrays kept by name from one batch to the next. Stacking each batch's image prefixes into
 * fresh arrays cost about nine times the copy itself (allocation, zero-filling, collection; 279 ms
 * against 30 ms for gqa-mini's batches with 65-token prefixes). One batch holds the arrays at a
 * time; a batch that finds them held (calls made concurrently) stacks into fresh arrays instead.
 */
class ScratchArrays {
  private readonly arrays = new Map<string, Float32Array>();
  private held = false;

  claim(): ScratchArrays | undefined {
    if (this.held) return undefined;
    this.held = true;
    return this;
  }

  release(): void {
    this.held = false;
  }

  get(name: string, length: number): Float32Array {
    let array = this.arrays.get(name);
    if (!array || array.length < length) {
      array = new Float32Array(length);
      this.arrays.set(name, array);
    }
    return array.length === length ? array : array.subarray(0, length);
  }
}

/** [batch, width] attention mask: 1 everywhere except each row's hole of padding. */
function attentionMask(holes: readonly { at: number; length: number }[], width: number): ort.Tensor {
  const mask = new BigInt64Array(holes.length * width).fill(1n);
  for (const [i, h] of holes.entries()) mask.fill(0n, i * width + h.at, i * width + h.at + h.length);
  return new ort.Tensor('int64', mask, [holes.length, width]);
}

/** Argmax over the last position of one batch row; the first maximum wins, as torch.argmax. */
function argmaxLast(logits: ort.Tensor, rowIndex: number): { id: number; row: Float32Array } {
  const [, t, v] = logits.dims as [number, number, number];
  const start = (rowIndex * t + t - 1) * v;
  const row = (logits.data as Float32Array).subarray(start, start + v);
  let best = 0;
  for (let i = 1; i < v; i++) if (row[i]! > row[best]!) best = i;
  return { id: best, row };
}

function cutAtStop(text: string, stops: readonly string[]): string {
  for (const s of stops) {
    const at = text.indexOf(s);
    if (at >= 0) text = text.slice(0, at);
  }
  return text;
}

/** Distinct question texts whose prompt ids are kept (a few MB at most). */
const PROMPT_CACHE_ENTRIES = 16_384;

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
    /** Decoding and preprocessing off the main thread, which drives the runtime. */
    private readonly images: ImagePool | undefined,
  ) {}

  private readonly promptIdCache = new Map<string, number[]>();
  private readonly prefixScratch = new ScratchArrays();

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
    // the image workers start while the sessions are created, so their start-up is load time
    const images = ImagePool.open();
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
    await images?.ready;
    return new VisionLanguageModel(bundle, choice, encoders, fusion, embed, decoder, tokenizer, images);
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
    const specs = this.encoders.map(({ spec }) => spec.image);
    return { file, pixels: await (this.images ? this.images.prepare(file, specs) : preprocessForEncoders(file, specs)) };
  }

  /** Every encoder on the prepared image, then the fusion module: the visual tokens the LM reads. */
  async encodePrepared(prepared: PreparedImage): Promise<VisualTokens> {
    return (await this.encodeBatch([prepared]))[0]!;
  }

  /** Several prepared images through every encoder and the fusion module in one call each. */
  async encodeBatch(images: readonly PreparedImage[]): Promise<VisualTokens[]> {
    const batch = images.length;
    const feeds: Record<string, ort.Tensor> = {};
    for (const [i, { spec, session }] of this.encoders.entries()) {
      const [w, h] = spec.image.size;
      const pixels = stackRows(images.map((img) => img.pixels[i]!));
      const out = await this.exec(session, { [spec.input]: new ort.Tensor('float32', pixels, [batch, 3, h, w]) });
      feeds[spec.fusionInput] = out[spec.output]!;
    }
    const tokens = (await this.exec(this.fusion, feeds))[this.manifest.fusion.output]!;
    const [b, n, d] = tokens.dims as [number, number, number];
    if (b !== batch || d !== this.manifest.lm.hiddenSize) {
      throw new Error(`fusion output has shape [${tokens.dims.join(', ')}], expected [${batch}, N, ${this.manifest.lm.hiddenSize}]`);
    }
    const data = tokens.data as Float32Array;
    // each image's tokens in their own buffer: they outlive the batch in the vision cache
    return images.map((_, k) => ({ data: data.slice(k * n * d, (k + 1) * n * d), dims: [1, n, d] as const }));
  }

  async encodeImage(file: string): Promise<VisualTokens> {
    return this.encodePrepared(await this.prepareImage(file));
  }

  private async embedIds(ids: number[], dims: [number, number]): Promise<ort.Tensor> {
    const lm = this.manifest.lm;
    return (await this.exec(this.embed, { [lm.embedInput]: int64(ids, dims) }))[lm.embedOutput]!;
  }

  prompt(question: string): string {
    return this.manifest.prompt.template.replace('{question}', question);
  }

  /**
   * The prompt's token ids, memoised: benchmarks repeat question texts (half of gqa-mini's questions
   * are asked of several images), and tokenizing is most of the harness's own time per question.
   */
  private promptIds(question: string): number[] {
    let ids = this.promptIdCache.get(question);
    if (!ids) {
      if (this.promptIdCache.size >= PROMPT_CACHE_ENTRIES) this.promptIdCache.clear();
      ids = this.tokenizer.encode(this.prompt(question));
      this.promptIdCache.set(question, ids);
    }
    return ids;
  }

  /** Greedy decoding of one question: a batch of one. */
  async generate(visual: VisualTokens, question: string): Promise<Generation> {
    const [prefix] = await this.prefixes([visual]);
    return (await this.generateBatch([{ prefix: prefix!, question }]))[0]!;
  }

  /**
   * The LM's keys and values over each image's visual tokens. The visual tokens come first and the
   * LM is causal, so they do not depend on the question: computed once per image, they serve every
   * question about it, and each question's prefill covers only its prompt.
   */
  async prefixes(visuals: readonly VisualTokens[]): Promise<ImagePrefix[]> {
    const lm = this.manifest.lm;
    const n = visuals[0]!.dims[1];
    const d = lm.hiddenSize;
    if (visuals.some((v) => v.dims[1] !== n)) throw new Error('images with different numbers of visual tokens in one batch');
    const embeds = stackRows(visuals.map((v) => v.data));
    const result = await this.exec(this.decoder, {
      [lm.inputs.embeds]: new ort.Tensor('float32', embeds, [visuals.length, n, d]),
      [lm.inputs.attentionMask]: attentionMask(visuals.map(() => ({ at: 0, length: 0 })), n),
      [lm.inputs.positionIds]: int64(visuals.flatMap(() => Array.from({ length: n }, (_, t) => t)), [visuals.length, n]),
      ...this.emptyCache(visuals.length),
    });
    const past = this.presentAsPast(result);
    const perRow = lm.cache.heads * n * lm.cache.headDim;
    return visuals.map((_, i) => ({
      length: n,
      past: Object.fromEntries(Object.entries(past).map(([name, t]) => [name, (t.data as Float32Array).slice(i * perRow, (i + 1) * perRow)])),
    }));
  }

  /**
   * Greedy decoding with the key/value cache for several questions at once, each on its image's
   * prefix: one prefill call over the left-padded prompts, then one call per generated position for
   * the whole batch. Padding is masked out and positions skip it, so every row computes what it
   * would alone.
   */
  async generateBatch(requests: readonly GenerationRequest[]): Promise<Generation[]> {
    const lm = this.manifest.lm;
    const gen = this.manifest.generation;
    const rows = await this.promptRows(requests);
    if (rows.prefix + rows.width + gen.maxNewTokens > lm.maxPositions) {
      throw new Error(`prompt of ${rows.prefix + rows.width} positions plus ${gen.maxNewTokens} new tokens exceeds the LM's ${lm.maxPositions}`);
    }
    const batch = requests.length;
    const holes = rows.padding.map((length) => ({ at: rows.prefix, length }));
    const outputs = requests.map(() => ({ ids: [] as number[], done: false, firstLogits: undefined as Float32Array | undefined }));
    let feeds: Record<string, ort.Tensor> = {
      [lm.inputs.embeds]: rows.embeds,
      [lm.inputs.attentionMask]: attentionMask(holes, rows.prefix + rows.width),
      [lm.inputs.positionIds]: rows.positions,
    };
    for (let step = 0, width = rows.prefix + rows.width; ; step++) {
      const result = step === 0 ? await this.prefill(feeds, requests.map((r) => r.prefix)) : await this.exec(this.decoder, feeds);
      const logits = result[lm.logits]!;
      const next: number[] = [];
      for (const [i, out] of outputs.entries()) {
        const { id, row } = argmaxLast(logits, i);
        next.push(out.done ? this.tokenizer.eosId : id);
        if (out.done) continue;
        out.firstLogits ??= Float32Array.from(row);
        if (id === this.tokenizer.eosId || step === gen.maxNewTokens) {
          out.done = true;
          continue;
        }
        out.ids.push(id);
        if (gen.stop.length > 0 && gen.stop.some((s) => this.tokenizer.decode(out.ids).includes(s))) out.done = true;
      }
      if (outputs.every((o) => o.done)) break;
      feeds = {
        [lm.inputs.embeds]: await this.embedIds(next, [batch, 1]),
        [lm.inputs.attentionMask]: attentionMask(holes, width + 1),
        [lm.inputs.positionIds]: int64(rows.lengths.map((n) => rows.prefix + n + step), [batch, 1]),
        ...this.presentAsPast(result),
      };
      width += 1;
    }
    return outputs.map((o) => ({ text: cutAtStop(this.tokenizer.decode(o.ids), gen.stop), tokenIds: o.ids, firstLogits: o.firstLogits! }));
  }

  /** The prompts' embeddings, left-padded to one width, with positions that continue after the prefix. */
  private async promptRows(requests: readonly GenerationRequest[]) {
    const prefix = requests[0]!.prefix.length;
    if (requests.some((r) => r.prefix.length !== prefix)) throw new Error('prefixes of different lengths in one batch');
    const prompts = requests.map((r) => this.promptIds(r.question));
    const lengths = prompts.map((p) => p.length);
    const width = Math.max(...lengths);
    const padding = lengths.map((n) => width - n);
    // pad ids go first, so one embedding call returns every row already left-padded
    const ids = prompts.flatMap((p, i) => [...new Array<number>(padding[i]!).fill(this.tokenizer.padId), ...p]);
    const embeds = await this.embedIds(ids, [requests.length, width]);
    const positions = new BigInt64Array(requests.length * width);
    for (const [i, n] of lengths.entries()) {
      for (let t = 0; t < n; t++) positions[i * width + padding[i]! + t] = BigInt(prefix + t);
    }
    return { embeds, positions: new ort.Tensor('int64', positions, [requests.length, width]), lengths, padding, width, prefix };
  }

  /** The first decoder call: the prompts, with the rows' image prefixes stacked as past keys and values. */
  private async prefill(feeds: Record<string, ort.Tensor>, prefixes: readonly ImagePrefix[]): Promise<ort.InferenceSession.ReturnType> {
    const scratch = this.prefixScratch.claim();
    try {
      return await this.exec(this.decoder, { ...feeds, ...this.stackedPrefixes(prefixes, scratch) });
    } finally {
      scratch?.release();
    }
  }

  /** Each row's image prefix, stacked into the batch's past keys and values (in `scratch`'s arrays if given). */
  private stackedPrefixes(prefixes: readonly ImagePrefix[], scratch: ScratchArrays | undefined): Record<string, ort.Tensor> {
    const c = this.manifest.lm.cache;
    const n = prefixes[0]!.length;
    const past: Record<string, ort.Tensor> = {};
    for (const name of Object.keys(prefixes[0]!.past)) {
      const rows = prefixes.map((p) => p.past[name]!);
      const into = scratch?.get(name, rows.length * rows[0]!.length);
      past[name] = new ort.Tensor('float32', stackRows(rows, into), [prefixes.length, c.heads, n, c.headDim]);
    }
    return past;
  }

  private emptyCache(batch: number): Record<string, ort.Tensor> {
    const c = this.manifest.lm.cache;
    const cache: Record<string, ort.Tensor> = {};
    for (let i = 0; i < c.layers; i++) {
      for (const name of [c.pastKey, c.pastValue]) cache[layerName(name, i)] = new ort.Tensor('float32', new Float32Array(0), [batch, c.heads, 0, c.headDim]);
    }
    return cache;
  }

  private presentAsPast(result: ort.InferenceSession.ReturnType): Record<string, ort.Tensor> {
    const c = this.manifest.lm.cache;
    const past: Record<string, ort.Tensor> = {};
    for (let i = 0; i < c.layers; i++) {
      past[layerName(c.pastKey, i)] = result[layerName(c.presentKey, i)]!;
      past[layerName(c.pastValue, i)] = result[layerName(c.presentValue, i)]!;
    }
    return past;
  }

  async dispose(): Promise<void> {
    this.images?.close();
    for (const s of [...this.encoders.map((e) => e.session), this.fusion, this.embed, this.decoder]) await s.release();
  }
}
