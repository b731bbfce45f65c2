import { simulatedRun } from '../../src/bench/simulated-run.js';
import type { LoadedRun } from '../../src/runs/read-run.js';
import type { PredictionLine } from '../../src/runs/prediction-line.js';

export interface SyntheticItem {
  structural: string;
  semantic: string;
  image: string;
}

/** A GQA-shaped run of `items`, right where `correct(i)` says, scored by gqa.accuracy only. */
export function syntheticRun(
  name: string,
  items: readonly SyntheticItem[],
  correct: (i: number) => boolean,
  config: Record<string, unknown> = {},
): LoadedRun {
  const rows: PredictionLine[] = items.map((it, i) => ({
    id: String(i),
    imageId: it.image,
    question: `q${i}`,
    prediction: correct(i) ? 'yes' : 'no',
    answers: ['yes'],
    scores: { correct: correct(i) ? 1 : 0 },
    categories: { structural: it.structural, semantic: it.semantic, detailed: 'x' },
    group: it.image,
    extra: { isBalanced: true, entailed: [], globalGroup: null, steps: 1, words: 4 },
  }));
  return simulatedRun(name, 'gqa', ['gqa.accuracy'], rows, config);
}

/** `n` items over `images` images, cycling through five structural and two semantic types. */
export function items(n: number, images: number): SyntheticItem[] {
  const structural = ['verify', 'query', 'choose', 'logical', 'compare'];
  return Array.from({ length: n }, (_, i) => ({
    structural: structural[i % 5]!,
    semantic: i % 2 ? 'attr' : 'obj',
    image: `img${i % images}`,
  }));
}
