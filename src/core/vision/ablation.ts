import { createHash } from 'node:crypto';
import { XfError } from '../../lib/errors.js';
import { seededRandom } from '../../lib/random.js';
import type { Manifest } from '../bundle/manifest.js';

/**
 * Taking one encoder's features away at inference, to see how much the model uses them:
 * - `zero`: the features replaced by zeros;
 * - `mean`: each channel's mean over the run's images (what the encoder says of an average image);
 * - `shuffle`: the features of another image of the run (a seeded derangement of the run's images);
 * - `noise`: Gaussian with each channel's mean and standard deviation over the run's images.
 */
export type AblationMode = 'zero' | 'mean' | 'shuffle' | 'noise';
export const ABLATION_MODES: readonly AblationMode[] = ['zero', 'mean', 'shuffle', 'noise'];

export interface EncoderAblation {
  encoder: string;
  mode: AblationMode;
}

/** Per-channel mean and standard deviation of one encoder's features over a run's images and tokens. */
export interface ChannelStats {
  mean: Float32Array;
  std: Float32Array;
}

/** Parses `ENCODER=MODE` flags against the manifest's encoders; refuses what cannot be ablated. */
export function parseAblations(specs: readonly string[], manifest: Manifest, manifestFile: string): EncoderAblation[] {
  const ids = manifest.encoders.map((e) => e.id);
  const out: EncoderAblation[] = [];
  for (const spec of specs) {
    const m = /^([^=]+)=(\w+)$/.exec(spec.trim());
    if (!m || !(ABLATION_MODES as readonly string[]).includes(m[2]!)) {
      throw new XfError('E_USAGE', `--ablate takes ENCODER=MODE with MODE one of ${ABLATION_MODES.join(', ')}, got "${spec}"`, {
        suggestion: 'e.g. --ablate mae=shuffle',
      });
    }
    if (!ids.includes(m[1]!)) {
      throw new XfError('E_FLAGS', `the bundle has no encoder "${m[1]}" to ablate (it has: ${ids.join(', ')})`, {
        file: manifestFile,
        suggestion:
          manifest.encoders.length === 1
            ? "A CLIP-only bundle has nothing but its CLIP encoder: ablate an X-Former bundle's mae."
            : `Ablate one of ${ids.join(', ')}.`,
      });
    }
    if (out.some((a) => a.encoder === m[1])) throw new XfError('E_FLAGS', `--ablate names encoder "${m[1]}" twice`);
    out.push({ encoder: m[1]!, mode: m[2] as AblationMode });
  }
  if (out.length > 0 && out.length === ids.length) {
    throw new XfError('E_FLAGS', 'ablating every encoder leaves the model no visual input of the image it is asked about', {
      suggestion: 'Ablate fewer encoders; for a model without the image, compare with a question-only baseline instead.',
    });
  }
  return out;
}

/** A deterministic seed for one image's noise, from its file content hash. */
function seedOf(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32LE(0);
}

/** Seeded standard normal draws (Box–Muller over the seeded uniform generator). */
function normals(seed: number): () => number {
  const uniform = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(Math.max(uniform(), 1e-12))) * Math.cos(2 * Math.PI * uniform());
}

/**
 * Rewrites one image's features ([tokens, channels], laid out flat) in place for `zero`, `mean` and
 * `noise`; `shuffle` is done by feeding the encoder another image, before this point.
 */
export function ablateFeatures(
  features: Float32Array,
  channels: number,
  mode: AblationMode,
  stats: ChannelStats | undefined,
  imageKey: string,
): void {
  if (mode === 'zero') {
    features.fill(0);
    return;
  }
  if (mode === 'shuffle') return;
  if (!stats) throw new Error(`the ${mode} ablation needs the run's feature statistics`);
  const draw = mode === 'noise' ? normals(seedOf(imageKey)) : undefined;
  for (let i = 0; i < features.length; i++) {
    const c = i % channels;
    features[i] = draw ? stats.mean[c]! + stats.std[c]! * draw() : stats.mean[c]!;
  }
}

/**
 * A derangement of the run's images (no image keeps its own features), seeded and independent of the
 * order they are met in: sorted first, then shuffled. A run of one image keeps it (there is no other).
 */
export function derangement(images: readonly string[], seed = 20240901): Map<string, string> {
  const sorted = [...new Set(images)].sort();
  const n = sorted.length;
  const out = new Map<string, string>();
  if (n === 1) return new Map([[sorted[0]!, sorted[0]!]]);
  // Sattolo's algorithm: a single cycle through all images, so none maps to itself
  const order = sorted.map((_, i) => i);
  const rand = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  for (let i = 0; i < n; i++) out.set(sorted[i]!, sorted[order[i]!]!);
  return out;
}
