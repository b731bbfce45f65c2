import { meanMetric } from './mean-metric.js';
import type { Metric } from './types.js';

/**
 * The standard VQA accuracy: answers normalised as the official evaluation does, then
 * min(#matching humans / 3, 1) averaged over the ten leave-one-out subsets of the annotators.
 */

const PUNCTUATION = [';', '/', '[', ']', '"', '{', '}', '(', ')', '=', '+', '\\', '_', '-', '>', '<', '@', '`', ',', '?', '!'];
const NUMBER_WORDS: Record<string, string> = {
  none: '0', zero: '0', one: '1', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8', nine: '9', ten: '10',
};
const ARTICLES = new Set(['a', 'an', 'the']);

/** Contractions with their apostrophes; every spelling that drops some of them maps back to the full form. */
const CONTRACTIONS_FULL = [
  "ain't", "aren't", "can't", "could've", "couldn't", "couldn't've", "didn't", "doesn't", "don't", "hadn't", "hadn't've", "hasn't",
  "haven't", "he'd", "he'd've", "he's", "how'd", "how'll", "how's", "i'd", "i'd've", "i'm", "i've", "isn't", "it'd", "it'd've",
  "it'll", "it's", "let's", "ma'am", "mightn't", "mightn't've", "might've", "mustn't", "must've", "needn't", "not've", "o'clock",
  "oughtn't", "'ow's'at", "shan't", "she'd", "she'd've", "she'll", "she's", "should've", "shouldn't", "shouldn't've", "somebody'd",
  "somebody'd've", "somebody'll", "somebody's", "someone'd", "someone'd've", "someone'll", "someone's", "something'd",
  "something'd've", "something'll", "that's", "there'd", "there'd've", "there're", "there's", "they'd", "they'd've", "they'll",
  "they're", "they've", "'twas", "wasn't", "we'd", "we'd've", "we'll", "we're", "we've", "weren't", "what'll", "what're", "what's",
  "what've", "when's", "where'd", "where's", "where've", "who'd", "who'd've", "who'll", "who's", "who've", "why'll", "why're",
  "why's", "won't", "would've", "wouldn't", "wouldn't've", "y'all", "y'all'll", "y'all'd've", "you'd", "you'd've", "you'll",
  "you're", "you've",
];

function apostropheVariants(full: string): string[] {
  const parts = full.split("'");
  const out: string[] = [];
  const gaps = parts.length - 1;
  for (let mask = 0; mask < 1 << gaps; mask++) {
    if (mask === (1 << gaps) - 1) continue; // every apostrophe kept: the full form itself
    let s = parts[0]!;
    for (let g = 0; g < gaps; g++) s += ((mask >> g) & 1 ? "'" : '') + parts[g + 1]!;
    out.push(s);
  }
  return out;
}

const CONTRACTIONS = new Map<string, string>(CONTRACTIONS_FULL.flatMap((full) => apostropheVariants(full).map((v): [string, string] => [v, full])));

const COMMA_BETWEEN_DIGITS = /(\d)(,)(\d)/;
const PERIOD_NOT_IN_NUMBER = /(?<!\d)\.(?!\d)/g;

export function processPunctuation(text: string): string {
  let out = text;
  for (const p of PUNCTUATION) {
    if (text.includes(`${p} `) || text.includes(` ${p}`) || COMMA_BETWEEN_DIGITS.test(text)) out = out.split(p).join('');
    else out = out.split(p).join(' ');
  }
  return out.replace(PERIOD_NOT_IN_NUMBER, '');
}

export function processDigitArticle(text: string): string {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean)
    .map((w) => NUMBER_WORDS[w] ?? w)
    .filter((w) => !ARTICLES.has(w))
    .map((w) => CONTRACTIONS.get(w) ?? w);
  return words.join(' ');
}

/** Accuracy of one prediction against the ten human answers (0..1). */
export function vqaAccuracy(prediction: string, humanAnswers: readonly string[]): number {
  const clean = (s: string) => s.replace(/[\n\t]/g, ' ').trim();
  const res = processDigitArticle(processPunctuation(clean(prediction)));
  let gts = humanAnswers.map(clean);
  // the official script normalises human answers only when they disagree (punctuation only)
  if (new Set(gts).size > 1) gts = gts.map(processPunctuation);
  let total = 0;
  for (let i = 0; i < gts.length; i++) {
    let matches = 0;
    for (let j = 0; j < gts.length; j++) if (j !== i && gts[j] === res) matches++;
    total += Math.min(1, matches / 3);
  }
  return total / gts.length;
}

export const vqaAccuracyMetric: Metric = meanMetric({
  id: 'vqa.accuracy',
  description: 'VQA accuracy (min(#humans/3, 1) over leave-one-out subsets), overall and per answer type',
  higherIsBetter: true,
  key: 'vqaAccuracy',
  scale: 100,
  binary: false,
  clusterBootstrap: true,
  score: (sample, prediction) => ({ vqaAccuracy: vqaAccuracy(prediction, sample.answers) }),
  include: () => true,
  categories: (r) => [`answer type/${String(r.categories['answerType'])}`],
});
