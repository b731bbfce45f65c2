import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage, normalise, preprocess, resizeForEncoder } from '../../src/core/vision/image.js';
import type { ImageSpec } from '../../src/core/bundle/manifest.js';
import { resampleRgb } from '../../src/core/vision/resample.js';
import { XfError } from '../../src/lib/errors.js';
import { BUNDLES, FIXTURES, GQA_MINI } from '../helpers/paths.js';

const REFS = path.join(FIXTURES, 'references/preprocess');

interface PhotoRef {
  file: string;
  width: number;
  height: number;
  encoders: Record<string, { tensor: string; shape: number[]; resize: 'bicubic'; mean: number[]; std: number[] }>;
}

function specFor(e: PhotoRef['encoders'][string]): ImageSpec {
  return {
    size: [e.shape[2]!, e.shape[1]!],
    resize: e.resize,
    crop: 'none',
    colorSpace: 'rgb',
    rescale: 1 / 255,
    mean: e.mean as ImageSpec['mean'],
    std: e.std as ImageSpec['std'],
  };
}

describe('image preprocessing matches PIL', () => {
  const refs = JSON.parse(readFileSync(path.join(REFS, 'references.json'), 'utf8')) as { images: PhotoRef[] };

  it('decodes real-size JPEGs and reproduces PIL bicubic resize + normalisation within 1/255', async () => {
    expect(refs.images.length).toBeGreaterThanOrEqual(2);
    for (const img of refs.images) {
      const decoded = await decodeImage(path.join(REFS, img.file));
      expect([decoded.width, decoded.height]).toEqual([img.width, img.height]);
      for (const enc of Object.values(img.encoders)) {
        const spec = specFor(enc);
        const ours = normalise(resizeForEncoder(decoded, spec), spec);
        const buf = readFileSync(path.join(REFS, enc.tensor));
        const theirs = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
        expect(ours.length).toBe(theirs.length);
        const plane = ours.length / 3;
        let worst = 0;
        for (let i = 0; i < ours.length; i++) {
          // back to 0..255 pixel units with this channel's std
          const std = enc.std[Math.floor(i / plane)]!;
          worst = Math.max(worst, Math.abs(ours[i]! - theirs[i]!) * std * 255);
        }
        expect(worst).toBeLessThanOrEqual(1 + 1e-4);
      }
    }
  });

  it('is the identity resize at the native size and equals numpy float32 normalisation exactly', async () => {
    const spec = JSON.parse(readFileSync(path.join(BUNDLES.xformer, 'xfbench.json'), 'utf8')).encoders[0].image as ImageSpec;
    const file = path.join(GQA_MINI, 'images', 'n00000.png');
    const decoded = await decodeImage(file);
    expect(resizeForEncoder(decoded, spec).data).toEqual(decoded.data);
    const t = await preprocess(file, spec);
    const f = Math.fround;
    const v = decoded.data[0]!;
    expect(t[0]).toBe(f(f(f(v / 255) - f(spec.mean[0])) / f(spec.std[0])));
  });

  it('resamples a constant image to the same constant (weights sum to one)', () => {
    const src = new Uint8Array(37 * 23 * 3).fill(200);
    for (const filter of ['bilinear', 'bicubic', 'lanczos'] as const) {
      expect([...new Set(resampleRgb(src, 37, 23, 8, 11, filter))]).toEqual([200]);
      expect([...new Set(resampleRgb(src, 37, 23, 80, 50, filter))]).toEqual([200]);
    }
  });

  it('refuses a file that is not an image with one clear error naming it', async () => {
    const file = path.join(FIXTURES, 'gqa-mini', 'testdev_balanced_questions.json');
    await expect(decodeImage(file)).rejects.toThrow(XfError);
    await expect(decodeImage(file)).rejects.toMatchObject({ code: 'E_IMAGE', file });
  });
});
