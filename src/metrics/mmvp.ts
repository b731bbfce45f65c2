import { meanMetric } from './mean-metric.js';
import { wilsonInterval } from './stats.js';
import type { Metric, ScoredSample } from './types.js';

/**
 * MMVP scoring. The release grades with GPT-4, which cannot run offline; xfbench grades as lmms-eval's
 * MMVP task does (the option letter extracted, a pair right when both its questions are), with one
 * addition: an answer that is an option's text counts as that option (docs/scoring.md).
 */

/** lmms-eval's letter patterns, in its order; case does not matter. */
const LETTER_PATTERNS = [
  /^\s*\(?([ab])\)?\.?\s*$/i, // the letter alone, in parentheses or with a period
  /^\s*\(?([ab])\)?[.\s]/i, // a letter first
  /answer\s+is\s+\(?([ab])\)?/i,
  /option\s+\(?([ab])\)?/i,
  /\(?([ab])\)?(?:\s|$)/i, // any standalone a or b (an article "a" too, as in lmms-eval)
];

/** The option letter an answer names, as lmms-eval extracts it: its patterns in order, then the first character; '' if none. */
export function extractOptionLetter(text: string): string {
  const t = text.trim();
  for (const re of LETTER_PATTERNS) {
    const m = re.exec(t);
    if (m) return m[1]!.toLowerCase();
  }
  const first = t[0]?.toLowerCase();
  return first === 'a' || first === 'b' ? first : '';
}

/**
 * Right when the answer names the correct option: first by an option's text (the whole answer, bar a
 * final period, or its first words: "dotted", "dotted pattern"), which lmms-eval would read by its first
 * letter; else by the letter lmms-eval extracts.
 */
export function mmvpCorrect(prediction: string, letter: string, options: Readonly<Record<string, string>>): boolean {
  const p = prediction.trim().toLowerCase().replace(/\.$/, '');
  for (const [key, text] of Object.entries(options)) {
    const t = text.toLowerCase();
    if (t && (p === t || p.startsWith(`${t} `))) return key === letter;
  }
  return extractOptionLetter(prediction) === letter;
}

export const mmvpAccuracy: Metric = meanMetric({
  id: 'mmvp.accuracy',
  description: 'MMVP per-question accuracy',
  higherIsBetter: true,
  key: 'mmvpCorrect',
  scale: 100,
  binary: true,
  score: (sample, prediction) => ({
    mmvpCorrect: mmvpCorrect(
      prediction,
      sample.answers[0]!,
      (sample.extra['options'] as Record<string, string> | undefined) ?? { [sample.answers[0]!]: sample.answers[1]! },
    )
      ? 1
      : 0,
  }),
  include: () => true,
  byImage: true,
  categories: () => [],
});

export const mmvpPairAccuracy: Metric = {
  id: 'mmvp.pair-accuracy',
  description: 'MMVP pair accuracy: both questions of a pair answered correctly',
  higherIsBetter: true,
  permutationTest: true,
  score: () => ({}),
  aggregate(rows) {
    const pairs = new Map<string, ScoredSample[]>();
    for (const r of rows) pairs.set(r.group, [...(pairs.get(r.group) ?? []), r]);
    const complete = [...pairs.values()].filter((p) => p.length === 2);
    if (complete.length === 0)
      return [
        { metric: this.id, category: 'overall', value: null, n: 0, higherIsBetter: true, note: 'n/a: no complete pair was evaluated' },
      ];
    const both = complete.filter((p) => p.every((r) => r.scores['mmvpCorrect'] === 1)).length;
    const ci = wilsonInterval(both, complete.length);
    return [
      {
        metric: this.id,
        category: 'overall',
        value: (100 * both) / complete.length,
        n: complete.length,
        higherIsBetter: true,
        interval: { low: 100 * ci.low, high: 100 * ci.high, method: 'wilson' },
      },
    ];
  },
};
