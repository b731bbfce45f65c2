import path from 'node:path';
import { loadBundle, MANIFEST_FILE } from '../core/bundle/manifest.js';
import { defaultIntraOpThreads, type DeviceRequest } from '../core/bundle/sessions.js';
import type { GenerationOverrides } from '../core/model.js';
import { parseAblations } from '../core/vision/ablation.js';
import type { Sample } from '../datasets/types.js';
import { XfError } from '../lib/errors.js';
import { packageRoot } from '../lib/package-root.js';
import { processQuestion, type Protocol } from '../protocols/protocol.js';
import { evaluate } from './evaluate.js';
import { checkSameProvider } from './resume.js';
import { RunSession } from './run-session.js';
import type { RunModel } from '../runs/run-model.js';
import { DEFAULT_BATCH_SIZE, DEFAULT_BUNDLE_DIR, DEFAULT_PREFETCH, DEFAULT_WINDOW } from './settings.js';

export interface BundleRunOptions {
  model?: string;
  /** `ENCODER=MODE` (zero, mean, shuffle, noise): take an encoder's features away (core/vision/ablation.ts). */
  ablate?: string[];
  device: DeviceRequest;
  threads?: number;
  cacheDir?: string;
  /** Cache visual tokens per image content (default on). */
  visionCache?: boolean;
  prefetch?: number;
  /** Questions per LM call; answers do not depend on it. */
  batchSize?: number;
  /** Questions read and grouped by image at once. */
  window?: number;
  /** Decoding settings over the bundle's (recorded, and part of what a resumed run must match). */
  generation?: GenerationOverrides;
  onProviderNote?: (note: string) => void;
}

/** A model bundle on onnxruntime, as a run's model: `--model DIR` (or the bundled tiny X-Former). */
export async function bundleRunModel(
  opts: BundleRunOptions,
  protocol: Protocol,
  /** The samples an ablation is prepared over (every shard's, so shards ablate alike). */
  ablationScope: () => AsyncIterable<Sample>,
): Promise<RunModel> {
  if (opts.cacheDir && opts.visionCache === false) {
    throw new XfError('E_FLAGS', '--cache-dir keeps visual tokens on disk, which --no-vision-cache turns off', {
      suggestion: 'Drop one of the two.',
    });
  }
  const modelDir = opts.model ? path.resolve(opts.model) : path.join(packageRoot(), DEFAULT_BUNDLE_DIR);
  const bundle = await loadBundle(modelDir);
  const ablations = parseAblations(opts.ablate ?? [], bundle.manifest, path.join(modelDir, MANIFEST_FILE));
  const generation = {
    numBeams: opts.generation?.numBeams ?? protocol.generation?.numBeams ?? bundle.manifest.generation.numBeams,
    maxNewTokens: opts.generation?.maxNewTokens ?? protocol.generation?.maxNewTokens ?? bundle.manifest.generation.maxNewTokens,
  };
  const visionCache = opts.visionCache !== false;
  const config = {
    generation,
    ...(ablations.length > 0 ? { ablate: ablations } : {}),
    device: opts.device,
    threads: opts.threads ?? null,
    threadsUsed: opts.threads ?? defaultIntraOpThreads(bundle.bytes),
    batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
    window: opts.window ?? DEFAULT_WINDOW,
    visionCache,
    prefetch: opts.prefetch ?? DEFAULT_PREFETCH,
    cacheDir: opts.cacheDir ?? null,
  };
  const describe = () => ({
    bundle: {
      name: bundle.manifest.name,
      dir: modelDir,
      sha256: bundle.hash,
      fusionKind: bundle.manifest.fusionKind,
      formatVersion: bundle.manifest.formatVersion,
    },
  });
  return {
    hash: bundle.hash,
    name: bundle.manifest.name,
    config,
    async open(previous, runDir) {
      const session = await RunSession.open(bundle, {
        device: opts.device,
        threads: opts.threads,
        generation: { ...generation, minNewTokens: protocol.generation?.minNewTokens, lengthPenalty: protocol.generation?.lengthPenalty },
        prompting: { template: protocol.prompt, question: (q) => processQuestion(protocol, q) },
        ablations,
        ablationScope,
        visionCache,
        cacheDir: opts.cacheDir ? path.resolve(opts.cacheDir) : undefined,
      });
      const { model, images, cache } = session;
      try {
        checkSameProvider(previous, model.provider.used, runDir);
      } catch (err) {
        await session.dispose();
        throw err;
      }
      if (model.provider.note) opts.onProviderNote?.(model.provider.note);
      let stages = { visionMs: 0, generateMs: 0, images: 0 };
      return {
        provider: model.provider,
        describe,
        async evaluate(samples, writer, run) {
          const result = await evaluate(model, samples, writer, {
            ...run,
            images,
            ablation: session.ablation,
            cache: visionCache ? cache : undefined,
            prefetch: config.prefetch,
            batchSize: config.batchSize,
            window: config.window,
          });
          stages = result.timings;
          return result;
        },
        timings: () => ({
          visionMs: Math.round(stages.visionMs),
          generateMs: Math.round(stages.generateMs),
          images: stages.images,
          visionCacheHits: cache.stats.hits + cache.stats.diskHits,
          visionCacheMisses: cache.stats.misses,
          sessionRunMs: Math.round(model.runtime.ms),
          sessionRunCalls: model.runtime.calls,
          imageDecodeMs: Math.round(images.decodeMs),
          ...Object.fromEntries(Object.entries(model.runtime.stageMs).map(([stage, ms]) => [`${stage}Ms`, Math.round(ms)])),
        }),
        dispose: () => session.dispose(),
      };
    },
  };
}
