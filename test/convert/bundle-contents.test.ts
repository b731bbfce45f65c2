import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertedCheckpoint } from '../helpers/shared-results.js';

describe('what a converted bundle carries', () => {
  it("keeps the checkpoint's generation_config.json, listed with its sha256 like every bundle file", async () => {
    const { checkpoint, bundle, convert } = await convertedCheckpoint('opt');
    expect(convert.status, convert.stderr).toBe(0);
    const source = path.join(checkpoint, 'generation_config.json');
    expect(existsSync(source)).toBe(true); // save_pretrained writes one for every generative model
    expect(readFileSync(path.join(bundle, 'generation_config.json'), 'utf8')).toBe(readFileSync(source, 'utf8'));
    const manifest = JSON.parse(readFileSync(path.join(bundle, 'xfbench.json'), 'utf8')) as { files: Record<string, string> };
    expect(manifest.files['generation_config.json']).toMatch(/^[0-9a-f]{64}$/);
  });
});
