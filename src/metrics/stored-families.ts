import { familyEntries } from './categories.js';
import { metricRegistry } from './registry.js';
import type { FamilyEntry, MetricValue } from './types.js';

/** The families of stored values whose metrics this xfbench knows (for run.json files written before they were stored). */
export async function familiesOfValues(values: readonly MetricValue[]): Promise<FamilyEntry[]> {
  const registry = metricRegistry();
  const ids = [...new Set(values.map((v) => v.metric))].filter((id) => registry.has(id));
  const metrics = await Promise.all(ids.map((id) => registry.get(id)));
  return metrics.flatMap((m) =>
    familyEntries(
      m,
      values.filter((v) => v.metric === m.id).map((v) => v.category),
    ),
  );
}
