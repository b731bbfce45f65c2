import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    sequence: { shuffle: true },
    pool: 'forks',
    // vitest's default (cores - 1) is one worker on a 2-core machine; the end-to-end tests spend much of
    // their time waiting on the CLI processes they start, so two files at a time use both cores
    maxWorkers: Math.max(2, availableParallelism()),
    // a worker keeps its modules from one file to the next (each file's own import of the sources cost
    // ~1 s of CPU); tests keep no state in modules, and src/ has none by rule (ARCHITECTURE.md)
    isolate: false,
    // a folder for the expensive results several files share (test/helpers/shared.ts)
    globalSetup: ['test/global-setup.ts'],
    // the JSON report lets .ci/run print one plain "N passed, N failed" line
    reporters: ['default', 'json'],
    outputFile: { json: 'dist/vitest-results.json' },
  },
});
