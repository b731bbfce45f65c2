import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetRegistry } from '../../src/datasets/registry.js';
import { metricRegistry } from '../../src/metrics/registry.js';
import { ROOT } from '../helpers/paths.js';

describe('every registered metric', () => {
  it.each(metricRegistry().ids())('%s is what its id says and declares its direction and families', async (id) => {
    const metric = await metricRegistry().get(id);
    expect(metric.id).toBe(id);
    expect(metric.description.length).toBeGreaterThan(0);
    expect(typeof metric.higherIsBetter).toBe('boolean');
    const families = (metric.families ?? []).map((f) => f.id);
    expect(new Set(families).size).toBe(families.length);
  });

  it('is named by some dataset', async () => {
    const datasets = datasetRegistry();
    const named = new Set<string>();
    for (const id of datasets.ids()) {
      const adapter = await datasets.get(id);
      if (adapter.defaultDir) for (const m of (await adapter.open(path.join(ROOT, adapter.defaultDir))).metrics) named.add(m);
    }
    expect(
      metricRegistry()
        .ids()
        .filter((id) => !named.has(id)),
    ).toEqual([]);
  });
});
