import type { Manifest } from './manifest.js';

/** The names of the decoder's key/value cache inputs and outputs, per layer, from the manifest's `{layer}` templates. */
export class CacheNames {
  constructor(private readonly names: Manifest['lm']['cache']) {}

  private layers(): number[] {
    return Array.from({ length: this.names.layers }, (_, i) => i);
  }

  /** Per layer, the key's and the value's name from two `{layer}` templates. */
  pairNames(keyTemplate: string, valueTemplate: string): string[] {
    const name = (template: string, layer: number) => template.replace('{layer}', String(layer));
    return this.layers().flatMap((i) => [name(keyTemplate, i), name(valueTemplate, i)]);
  }

  /** The decoder inputs that carry the cache. */
  pastNames(): string[] {
    return this.pairNames(this.names.pastKey, this.names.pastValue);
  }

  /** The decoder outputs that carry the updated cache. */
  presentNames(): string[] {
    return this.pairNames(this.names.presentKey, this.names.presentValue);
  }
}
