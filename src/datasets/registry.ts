import { Registry } from '../lib/registry.js';
import type { DatasetAdapter } from './types.js';

/** Every dataset adapter xfbench knows, by id. Adapters load lazily. */
export function datasetRegistry(): Registry<DatasetAdapter> {
  const registry = new Registry<DatasetAdapter>('dataset');
  registry.register('gqa', async () => (await import('./gqa.js')).gqaAdapter);
  registry.register('gvtbench', async () => (await import('./gvtbench.js')).gvtbenchAdapter);
  registry.register('gvtbench-oc', async () => (await import('./gvtbench.js')).gvtbenchOcAdapter);
  registry.register('gvtbench-mci', async () => (await import('./gvtbench.js')).gvtbenchMciAdapter);
  registry.register('vqav2', async () => (await import('./vqa.js')).vqav2Adapter);
  registry.register('okvqa', async () => (await import('./vqa.js')).okvqaAdapter);
  registry.register('mmvp', async () => (await import('./mmvp.js')).mmvpAdapter);
  registry.register('mme', async () => (await import('./mme.js')).mmeAdapter);
  registry.register('pope', async () => (await import('./pope.js')).popeAdapter);
  return registry;
}
