import { Registry } from '../lib/registry.js';
import type { Metric } from './types.js';

/** Every metric xfbench knows, by id; each module loads when first asked for. */
export function metricRegistry(): Registry<Metric> {
  const registry = new Registry<Metric>('metric');
  const gqa = () => import('./gqa.js');
  const gvt = () => import('./gvtbench.js');
  registry.register('gqa.accuracy', async () => (await gqa()).gqaAccuracy);
  registry.register('gqa.consistency', async () => (await gqa()).gqaConsistency);
  registry.register('gqa.validity', async () => (await gqa()).gqaValidity);
  registry.register('gqa.plausibility', async () => (await gqa()).gqaPlausibility);
  registry.register('gqa.distribution', async () => (await gqa()).gqaDistribution);
  registry.register('gvtbench.oc.accuracy', async () => (await gvt()).ocAccuracy);
  registry.register('gvtbench.oc.mae', async () => (await gvt()).ocMae);
  registry.register('gvtbench.oc.rmse', async () => (await gvt()).ocRmse);
  registry.register('gvtbench.mci.accuracy', async () => (await gvt()).mciAccuracy);
  registry.register('vqa.accuracy', async () => (await import('./vqa.js')).vqaAccuracyMetric);
  const perception = () => import('./perception.js');
  registry.register('mmvp.accuracy', async () => (await perception()).mmvpAccuracy);
  registry.register('mmvp.pair-accuracy', async () => (await perception()).mmvpPairAccuracy);
  registry.register('mme.accuracy', async () => (await perception()).mmeAccuracy);
  registry.register('mme.score', async () => (await perception()).mmeScore);
  registry.register('pope.accuracy', async () => (await perception()).popeAccuracy);
  registry.register('pope.precision', async () => (await perception()).popePrecision);
  registry.register('pope.recall', async () => (await perception()).popeRecall);
  registry.register('pope.f1', async () => (await perception()).popeF1);
  registry.register('pope.yes-ratio', async () => (await perception()).popeYesRatio);
  return registry;
}
