import { accuracyByCategory } from './accuracy.js';
import type { Metric } from './types.js';

/** The order the X-Former paper and GQA's scorer report categories in. */
const CATEGORY_ORDER = [
  'binary', 'open',
  'structural/verify', 'structural/query', 'structural/choose', 'structural/logical', 'structural/compare',
  'semantic/obj', 'semantic/attr', 'semantic/rel', 'semantic/cat', 'semantic/global',
];

function rank(c: string): number {
  const i = CATEGORY_ORDER.indexOf(c);
  return i < 0 ? CATEGORY_ORDER.length : i;
}

/**
 * GQA exact-match accuracy (the official scorer compares strings exactly; predictions arrive already
 * normalised by the adapter). Only balanced questions are scored. Binary vs open follows the official
 * split: open = structural `query`, binary = every other structural type.
 */
export const gqaAccuracy: Metric = {
  id: 'gqa.accuracy',
  description: 'GQA exact-match accuracy: overall, binary/open, per structural and per semantic type',
  higherIsBetter: true,
  score(sample, prediction) {
    return { correct: sample.answers.includes(prediction) ? 1 : 0 };
  },
  aggregate(rows) {
    const balanced = rows.filter((r) => r.extra['isBalanced'] !== false);
    return accuracyByCategory(
      'gqa.accuracy',
      balanced,
      'correct',
      (r) => {
        const s = r.categories['structural'];
        const sem = r.categories['semantic'];
        return [s === 'query' ? 'open' : 'binary', ...(s ? [`structural/${s}`] : []), ...(sem ? [`semantic/${sem}`] : [])];
      },
      (a, b) => rank(a) - rank(b),
    );
  },
};
