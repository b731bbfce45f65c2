import { Registry } from '../lib/registry.js';
import type { Metric } from './types.js';

export function metricRegistry(): Registry<Metric> {
  const registry = new Registry<Metric>('metric');
  registry.register('gqa.accuracy', async () => (await import('./gqa-accuracy.js')).gqaAccuracy);
  return registry;
}
