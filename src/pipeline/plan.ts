import type { Sample } from '../datasets/types.js';

/** Samples grouped by image (in order of first appearance), so each image is encoded once. */
export function planByImage(samples: readonly Sample[]): Sample[][] {
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    const g = groups.get(s.imagePath);
    if (g) g.push(s);
    else groups.set(s.imagePath, [s]);
  }
  return [...groups.values()];
}

/** The stream in consecutive windows of `size` samples, leaving out those in `skip`. */
export async function* windows(samples: AsyncIterable<Sample>, size: number, skip?: ReadonlySet<string>): AsyncGenerator<Sample[]> {
  let window: Sample[] = [];
  for await (const s of samples) {
    if (skip?.has(s.id)) continue;
    window.push(s);
    if (window.length >= size) {
      yield window;
      window = [];
    }
  }
  if (window.length > 0) yield window;
}
