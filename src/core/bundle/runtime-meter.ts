import type * as ort from 'onnxruntime-node';

/** What a session.run call is for, so a run can say where its compute went. */
export type Stage = 'visionEncoders' | 'fusion' | 'lmEmbed' | 'lmPrefix' | 'lmPrefill' | 'lmSteps' | 'lmEncoder' | 'lmCross' | 'cacheRows';

/**
 * Every session.run of one model goes through here, so the time spent inside onnxruntime (the
 * compute floor the benchmark compares wall time against) is counted in one place, per stage.
 */
export class RuntimeMeter {
  /** Milliseconds spent inside session.run, and how many calls. */
  ms = 0;
  calls = 0;
  readonly stageMs: Partial<Record<Stage, number>> = {};

  async run(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, stage: Stage): Promise<ort.InferenceSession.ReturnType> {
    const t = performance.now();
    const out = await session.run(feeds);
    const ms = performance.now() - t;
    this.ms += ms;
    this.calls += 1;
    this.stageMs[stage] = (this.stageMs[stage] ?? 0) + ms;
    return out;
  }
}
