import type * as ort from 'onnxruntime-node';

/**
 * Every session.run of one model goes through here, so the time spent inside onnxruntime (the
 * compute floor the benchmark compares wall time against) is counted in one place.
 */
export class RuntimeMeter {
  /** Milliseconds spent inside session.run, and how many calls. */
  ms = 0;
  calls = 0;

  async run(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
    const t = performance.now();
    const out = await session.run(feeds);
    this.ms += performance.now() - t;
    this.calls += 1;
    return out;
  }
}
