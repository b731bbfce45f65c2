import type * as ort from 'onnxruntime-node';
import { XfError } from '../../lib/errors.js';
import type { Provider } from './devices.js';

/** What a session.run call is for, so a run can say where its compute went. */
export type Stage =
  'visionEncoders' | 'fusion' | 'lmEmbed' | 'lmPrefix' | 'lmPrefill' | 'lmSteps' | 'lmEncoder' | 'lmCross' | 'cacheRows' | 'logitsHead';

/**
 * Every session.run of one model goes through here, so the time spent inside onnxruntime (the
 * compute floor the benchmark compares wall time against) is counted in one place, per stage.
 */
export class RuntimeMeter {
  /** Milliseconds spent inside session.run, and how many calls. */
  ms = 0;
  calls = 0;
  readonly stageMs: Partial<Record<Stage, number>> = {};

  /** `provider`: where the graphs run, which says whose memory a failed allocation was short of. */
  constructor(readonly provider: Provider = 'cpu') {}

  /**
   * `fetches`: the outputs to compute and return, when not all of them: onnxruntime then runs only the
   * nodes they need (an LM's prefix over the visual tokens needs its keys and values, not its logits).
   */
  async run(
    session: ort.InferenceSession,
    feeds: Record<string, ort.Tensor>,
    stage: Stage,
    fetches?: readonly string[],
  ): Promise<ort.InferenceSession.ReturnType> {
    const t = performance.now();
    const out = await (fetches ? session.run(feeds, [...fetches]) : session.run(feeds)).catch((err: unknown) => {
      throw outOfMemory(err, this.provider) ?? err;
    });
    const ms = performance.now() - t;
    this.ms += ms;
    this.calls += 1;
    this.stageMs[stage] = (this.stageMs[stage] ?? 0) + ms;
    return out;
  }
}

/**
 * onnxruntime's words for an allocation that failed: the CUDA runtime's and cuBLAS's on a GPU, its
 * memory arena's on either device. Anything else is not about memory.
 */
const GPU_OUT_OF_MEMORY = /CUDA failure 2: out of memory|cudaErrorMemoryAllocation|CUBLAS_STATUS_ALLOC_FAILED|CUDNN_STATUS_ALLOC_FAILED/i;
const ARENA_OUT_OF_MEMORY = /Failed to allocate memory for requested buffer of size (\d+)/;

/** A failed allocation inside a graph as one line (exit 2) with what to change; undefined for any other error. */
export function outOfMemory(err: unknown, provider: Provider): XfError | undefined {
  const message = (err as Error)?.message ?? '';
  // the arena's message does not say which device: the provider does
  const onGpu = GPU_OUT_OF_MEMORY.test(message) || (ARENA_OUT_OF_MEMORY.test(message) && provider !== 'cpu');
  const arena = ARENA_OUT_OF_MEMORY.exec(message);
  if (!onGpu && !arena) return undefined;
  const size = arena ? ` (a buffer of ${(Number(arena[1]) / 2 ** 20).toFixed(0)} MiB)` : '';
  return new XfError('E_OUT_OF_MEMORY', `the ${onGpu ? 'GPU' : 'machine'} ran out of memory while running a graph${size}`, {
    suggestion: `Lower --batch-size${onGpu ? ', use a --dtype fp16 bundle, or a GPU with more memory' : ''}: the questions answered so far are kept, and the same command (with a lower --batch-size) continues the run.`,
  });
}
