import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runConverterPython } from '../helpers/converter.js';
import { tempDir } from '../helpers/paths.js';

/** The image spec the converter writes for a folder holding this preprocessor_config.json. */
function specOf(config: object): { size: number[]; resize: string; mean: number[] } | { error: string } {
  const dir = path.join(tempDir('xfbench-image-settings-'), 'processor');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'preprocessor_config.json'), JSON.stringify(config));
  const out = runConverterPython([
    '-c',
    [
      'import json, sys',
      'from xfconvert.checkpoint import image_spec, ConvertError',
      'try: print(json.dumps(image_spec(sys.argv[1])))',
      'except ConvertError as e: print(json.dumps({"error": e.message}))',
    ].join('\n'),
    dir,
  ]);
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe("the converter reads a checkpoint's image settings as transformers' processor class does", () => {
  it('takes a legacy "size": 224 and the class\'s own default resample (BLIP: bicubic)', () => {
    expect(specOf({ image_processor_type: 'BlipImageProcessor', size: 224 })).toMatchObject({ size: [224, 224], resize: 'bicubic' });
  });

  it("gives a ViT processor without resample ViT's default, bilinear (it was read as bicubic), and its mean", () => {
    expect(specOf({ image_processor_type: 'ViTImageProcessor' })).toMatchObject({
      size: [224, 224],
      resize: 'bilinear',
      mean: [0.5, 0.5, 0.5],
    });
  });

  it('refuses a size that is not a fixed resize, in one line', () => {
    const r = specOf({ image_processor_type: 'BlipImageProcessor', size: { shortest_edge: 224 } });
    expect(r).toMatchObject({ error: expect.stringMatching(/only a resize to a fixed size is supported/) });
  });
});
