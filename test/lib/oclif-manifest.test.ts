import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';

describe('oclif.manifest.json', () => {
  it('describes the commands as they are built (npm run build writes it; help reads it instead of the modules)', async () => {
    // @ts-expect-error a plain .mjs script without types
    const { buildManifest } = (await import('../../scripts/write-oclif-manifest.mjs')) as { buildManifest(): Promise<unknown> };
    const written = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as unknown;
    expect(written).toEqual(JSON.parse(JSON.stringify(await buildManifest())));
  });
});
