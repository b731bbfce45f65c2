import sharp from 'sharp';
import { XfError } from '../../lib/errors.js';
import type { ImageSpec } from '../bundle/manifest.js';
import { resampleRgb } from './resample.js';

export interface RgbImage {
  data: Uint8Array; // packed RGB
  width: number;
  height: number;
}

/** Pixel limit per image: larger inputs are refused as likely decompression bombs. */
export const MAX_INPUT_PIXELS = 100_000_000;

/** Decodes any format sharp reads into packed 8-bit sRGB, without auto-rotation (PIL does not rotate either). */
export async function decodeImage(file: string): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(file, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after conversion, got ${info.channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0] ?? 'unknown error';
    throw new XfError('E_IMAGE', `cannot decode image (${msg})`, { file });
  }
}

function centerCrop(img: RgbImage, aspect: number): RgbImage {
  const target =
    img.width / img.height > aspect
      ? { w: Math.round(img.height * aspect), h: img.height }
      : { w: img.width, h: Math.round(img.width / aspect) };
  if (target.w === img.width && target.h === img.height) return img;
  const x0 = Math.floor((img.width - target.w) / 2);
  const y0 = Math.floor((img.height - target.h) / 2);
  const out = new Uint8Array(target.w * target.h * 3);
  for (let y = 0; y < target.h; y++) {
    out.set(img.data.subarray(((y0 + y) * img.width + x0) * 3, ((y0 + y) * img.width + x0 + target.w) * 3), y * target.w * 3);
  }
  return { data: out, width: target.w, height: target.h };
}

/** Crop and resize as the encoder's spec says; returns packed RGB of exactly spec.size. */
export function resizeForEncoder(img: RgbImage, spec: ImageSpec): RgbImage {
  const [w, h] = spec.size;
  const cropped = spec.crop === 'center' ? centerCrop(img, w / h) : img;
  if (cropped.width === w && cropped.height === h) return cropped;
  return { data: resampleRgb(cropped.data, cropped.width, cropped.height, w, h, spec.resize), width: w, height: h };
}

/**
 * Packed RGB -> planar float32 [3,H,W]: (v * rescale - mean) / std, each step rounded to float32 as numpy
 * does for float32 arrays, so the tensor equals the reference preprocessing bit for bit.
 */
export function normalise(img: RgbImage, spec: ImageSpec, out?: Float32Array): Float32Array {
  const n = img.width * img.height;
  const tensor = out ?? new Float32Array(3 * n);
  const f = Math.fround;
  const rescale = f(spec.rescale);
  const divide = Math.abs(1 / spec.rescale - Math.round(1 / spec.rescale)) < 1e-9; // 1/255 is applied as a division, like x / 255.0
  const divisor = f(Math.round(1 / spec.rescale));
  for (let c = 0; c < 3; c++) {
    const mean = f(spec.mean[c]!);
    const std = f(spec.std[c]!);
    for (let i = 0; i < n; i++) {
      const v = img.data[i * 3 + c]!;
      const scaled = divide ? f(v / divisor) : f(v * rescale);
      tensor[c * n + i] = f(f(scaled - mean) / std);
    }
  }
  return tensor;
}

export async function preprocess(file: string, spec: ImageSpec): Promise<Float32Array> {
  return (await preprocessForEncoders(file, [spec]))[0]!;
}

/** One decode, then the tensor each encoder expects (what the image workers and the inline path both run). */
export async function preprocessForEncoders(file: string, specs: readonly ImageSpec[]): Promise<Float32Array[]> {
  const decoded = await decodeImage(file);
  return specs.map((spec) => normalise(resizeForEncoder(decoded, spec), spec));
}
