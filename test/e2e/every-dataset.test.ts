import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetRegistry } from '../../src/datasets/registry.js';
import { runCli } from '../helpers/cli.js';
import { BUNDLES } from '../helpers/paths.js';
import { bundledRun } from '../helpers/shared-results.js';

// Every dataset xfbench knows, on both bundled models, end to end through the CLI: the whole bundled
// mini set (MME's answers that end at the first token were once a crash; only a full pass finds them).
const registry = datasetRegistry();
const bundled = (await Promise.all(registry.ids().map((id) => registry.get(id)))).filter((a) => a.defaultDir).map((a) => a.id);

describe.each(Object.keys(BUNDLES))('every dataset with a bundled mini set runs end to end on %s', (kind) => {
  it.each(bundled)('%s', async (dataset) => {
    // the run is shared with the other files that read whole mini-set runs (reproduce-modelzoo, gqa-crosscheck)
    const { out, ...r } = await bundledRun(kind as keyof typeof BUNDLES, dataset);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { status: string; questions: number; metrics: Array<{ metric: string; value: number | null }> };
    expect(summary.status).toBe('complete');
    expect(summary.questions).toBeGreaterThan(0);
    expect(summary.metrics.some((m) => m.value !== null)).toBe(true);
    const lines = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(summary.questions);
    // the terminal table of the run fits 100 columns
    const table = runCli(['report', out]).stdout;
    expect(Math.max(...table.split('\n').map((l) => [...l].length))).toBeLessThanOrEqual(100);
  });
});
