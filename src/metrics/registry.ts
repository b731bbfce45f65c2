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
  registry.register('mmvp.accuracy', async () => (await import('./mmvp.js')).mmvpAccuracy);
  registry.register('mmvp.pair-accuracy', async () => (await import('./mmvp.js')).mmvpPairAccuracy);
  registry.register('mme.accuracy', async () => (await import('./mme.js')).mmeAccuracy);
  registry.register('mme.score', async () => (await import('./mme.js')).mmeScore);
  registry.register('pope.accuracy', async () => (await import('./pope.js')).popeAccuracy);
  registry.register('pope.precision', async () => (await import('./pope.js')).popePrecision);
  registry.register('pope.recall', async () => (await import('./pope.js')).popeRecall);
  registry.register('pope.f1', async () => (await import('./pope.js')).popeF1);
  registry.register('pope.yes-ratio', async () => (await import('./pope.js')).popeYesRatio);
  return registry;
}
