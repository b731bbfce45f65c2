import { describe, expect, it } from 'vitest';
import { sha256Text } from '../../src/lib/files.js';
import { fingerprint } from '../../src/pipeline/resume.js';
import { answerSettingsOf, firstAnswerDifference, runConfigSchema, sharedSpeedSettings, type RunConfig } from '../../src/runs/run-config.js';

const config: RunConfig = {
  generation: { numBeams: 1, maxNewTokens: 8 }, limit: 200, allQuestions: false, choices: null, imageTemplate: null, metrics: ['gqa.accuracy', 'gqa.consistency'],
  shard: { index: 1, count: 4 }, device: 'cpu', threads: null, threadsUsed: 1, batchSize: 16, window: 16384, visionCache: true, prefetch: 2, cacheDir: null, maxErrors: null,
};

describe('run.json config', () => {
  it('hashes exactly what earlier versions hashed, so a run started by one of them still resumes', () => {
    // the settings object execute-run built by hand before the config was typed
    const before = { generation: config.generation, limit: 200, allQuestions: false, choices: null, imageTemplate: null, metrics: config.metrics };
    expect(fingerprint('b', 'd', config).settings).toBe(sha256Text(JSON.stringify(before)));
    const ablated = { ...config, ablate: [{ encoder: 'mae', mode: 'shuffle' as const }] };
    expect(fingerprint('b', 'd', ablated).settings).toBe(sha256Text(JSON.stringify({ ...before, ablate: ablated.ablate })));
  });

  it('leaves speed settings out of the fingerprint and of the comparison of answer settings', () => {
    const faster = { ...config, threads: 2, threadsUsed: 2, batchSize: 64, prefetch: 8, device: 'webgpu', window: 10 };
    expect(fingerprint('b', 'd', faster)).toEqual(fingerprint('b', 'd', config));
    expect(firstAnswerDifference(config, faster)).toBeUndefined();
    expect(answerSettingsOf(faster)).not.toHaveProperty('threads');
  });

  it('names the first answer setting that differs', () => {
    expect(firstAnswerDifference(config, { ...config, generation: { numBeams: 5, maxNewTokens: 8 } })).toEqual({
      key: 'generation', a: '{"numBeams":1,"maxNewTokens":8}', b: '{"numBeams":5,"maxNewTokens":8}',
    });
    expect(firstAnswerDifference(config, { ...config, choices: '/data/choices.json' })?.key).toBe('choices');
  });

  it('keeps only the speed settings every shard shared', () => {
    const shared = sharedSpeedSettings([config, { ...config, threads: 2, threadsUsed: 2 }, { ...config, batchSize: 4 }]);
    expect(shared).toEqual({ device: 'cpu', window: 16384, visionCache: true, prefetch: 2, cacheDir: null, maxErrors: null });
  });

  it('reads the config a score run writes, an older run.json without the scoring flags, and refuses one without metrics', () => {
    expect(runConfigSchema.parse({ name: 'other', raw: false, metrics: ['gqa.accuracy'], allQuestions: false, choices: null })).toMatchObject({
      name: 'other',
    });
    expect(runConfigSchema.parse({ name: 'older', metrics: ['gqa.accuracy'] })).toMatchObject({ allQuestions: false, choices: null });
    expect(runConfigSchema.safeParse({ name: 'other' }).success).toBe(false);
  });
});
