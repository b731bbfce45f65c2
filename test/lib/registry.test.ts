import { describe, expect, it } from 'vitest';
import { XfError } from '../../src/lib/errors.js';
import { closest, editDistance, Registry } from '../../src/lib/registry.js';

describe('registry', () => {
  it('refuses duplicate ids', () => {
    const r = new Registry<number>('metric');
    r.register('a', () => 1);
    expect(() => r.register('a', () => 2)).toThrow(/duplicate metric id: a/);
  });

  it('answers an unknown id with the closest ids', async () => {
    const r = new Registry<number>('dataset');
    for (const id of ['gqa', 'vqav2', 'gvtbench-oc']) r.register(id, () => 1);
    const err = await r.get('gqa2').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(XfError);
    expect((err as XfError).code).toBe('E_UNKNOWN_DATASET');
    expect((err as XfError).suggestion).toMatch(/^Did you mean: gqa,/);
    expect(await r.get('vqav2')).toBe(1);
  });

  it('computes edit distances', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(closest('vqa', ['gqa', 'vqav2', 'mme'], 2)).toEqual(['gqa', 'vqav2']);
  });
});
