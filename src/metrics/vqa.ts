import { meanMetric } from './mean-metric.js';
import type { Metric } from './types.js';

/**
 * The standard VQA accuracy exactly as the official evaluation computes it (GT-Vision-Lab/VQA,
 * PythonEvaluationTools/vqaEvaluation/vqaEval.py), quirks included; docs/scoring.md lists them:
 * - prediction and human answers have newlines and tabs made spaces and are stripped;
 * - only when the ten human answers are not all identical are both (the prediction too) put through
 *   the punctuation and digit/article/contraction processing; unanimous answers are compared raw;
 * - the period rule is written `(?!<=\d)(\.)(?!\d)`: a lookahead, not a lookbehind, so it drops every
 *   period not followed by a digit ("2." too), and `re.UNICODE` is passed where `sub` takes its
 *   count, so at most 32 periods go;
 * - the contraction table is a fixed list, looked up on lowercased words (its "Im", "Ive", "Id've"
 *   keys never match, and "somebody'd" becomes "somebodyd");
 * - then min(#matching humans / 3, 1), averaged over the ten leave-one-out subsets.
 */

const PUNCTUATION = [';', '/', '[', ']', '"', '{', '}', '(', ')', '=', '+', '\\', '_', '-', '>', '<', '@', '`', ',', '?', '!'];
const NUMBER_WORDS: Readonly<Record<string, string>> = {
  none: '0',
  zero: '0',
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
  ten: '10',
};
const ARTICLES = new Set(['a', 'an', 'the']);

/** The official table, spelling for spelling (written without apostrophes, mostly, to the form with them). */
const CONTRACTIONS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    'aint': "ain't",
    'arent': "aren't",
    'cant': "can't",
    'couldve': "could've",
    'couldnt': "couldn't",
    "couldn'tve": "couldn't've",
    "couldnt've": "couldn't've",
    'didnt': "didn't",
    'doesnt': "doesn't",
    'dont': "don't",
    'hadnt': "hadn't",
    "hadnt've": "hadn't've",
    "hadn'tve": "hadn't've",
    'hasnt': "hasn't",
    'havent': "haven't",
    'hed': "he'd",
    "hed've": "he'd've",
    "he'dve": "he'd've",
    'hes': "he's",
    'howd': "how'd",
    'howll': "how'll",
    'hows': "how's",
    "Id've": "I'd've",
    "I'dve": "I'd've",
    'Im': "I'm",
    'Ive': "I've",
    'isnt': "isn't",
    'itd': "it'd",
    "itd've": "it'd've",
    "it'dve": "it'd've",
    'itll': "it'll",
    "let's": "let's",
    'maam': "ma'am",
    'mightnt': "mightn't",
    "mightnt've": "mightn't've",
    "mightn'tve": "mightn't've",
    'mightve': "might've",
    'mustnt': "mustn't",
    'mustve': "must've",
    'neednt': "needn't",
    'notve': "not've",
    'oclock': "o'clock",
    'oughtnt': "oughtn't",
    "ow's'at": "'ow's'at",
    "'ows'at": "'ow's'at",
    "'ow'sat": "'ow's'at",
    'shant': "shan't",
    "shed've": "she'd've",
    "she'dve": "she'd've",
    "she's": "she's",
    'shouldve': "should've",
    'shouldnt': "shouldn't",
    "shouldnt've": "shouldn't've",
    "shouldn'tve": "shouldn't've",
    "somebody'd": 'somebodyd',
    "somebodyd've": "somebody'd've",
    "somebody'dve": "somebody'd've",
    'somebodyll': "somebody'll",
    'somebodys': "somebody's",
    'someoned': "someone'd",
    "someoned've": "someone'd've",
    "someone'dve": "someone'd've",
    'someonell': "someone'll",
    'someones': "someone's",
    'somethingd': "something'd",
    "somethingd've": "something'd've",
    "something'dve": "something'd've",
    'somethingll': "something'll",
    'thats': "that's",
    'thered': "there'd",
    "thered've": "there'd've",
    "there'dve": "there'd've",
    'therere': "there're",
    'theres': "there's",
    'theyd': "they'd",
    "theyd've": "they'd've",
    "they'dve": "they'd've",
    'theyll': "they'll",
    'theyre': "they're",
    'theyve': "they've",
    'twas': "'twas",
    'wasnt': "wasn't",
    "wed've": "we'd've",
    "we'dve": "we'd've",
    'weve': "we've",
    'werent': "weren't",
    'whatll': "what'll",
    'whatre': "what're",
    'whats': "what's",
    'whatve': "what've",
    'whens': "when's",
    'whered': "where'd",
    'wheres': "where's",
    'whereve': "where've",
    'whod': "who'd",
    "whod've": "who'd've",
    "who'dve": "who'd've",
    'wholl': "who'll",
    'whos': "who's",
    'whove': "who've",
    'whyll': "why'll",
    'whyre': "why're",
    'whys': "why's",
    'wont': "won't",
    'wouldve': "would've",
    'wouldnt': "wouldn't",
    "wouldnt've": "wouldn't've",
    "wouldn'tve": "wouldn't've",
    'yall': "y'all",
    "yall'll": "y'all'll",
    "y'allll": "y'all'll",
    "yall'd've": "y'all'd've",
    "y'alld've": "y'all'd've",
    "y'all'dve": "y'all'd've",
    'youd': "you'd",
    "youd've": "you'd've",
    "you'dve": "you'd've",
    'youll': "you'll",
    'youre': "you're",
    'youve': "you've",
  }),
);

const COMMA_BETWEEN_DIGITS = /(\d)(,)(\d)/;
// as written in the official script: `(?!<=\d)` is a lookahead for the text "<=" and a digit, never a lookbehind
const PERIOD_STRIP = /(?!<=\d)(\.)(?!\d)/g;
/** The official `sub("", text, re.UNICODE)` passes re.UNICODE (32) as the count. */
const PERIOD_STRIP_COUNT = 32;

/** Python's whitespace (str.split and str.strip with no argument), which is not quite JavaScript's \s. */
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_SPLIT = new RegExp(`[${PY_SPACE}]+`);
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');

/** Python's str.strip(): its whitespace, not JavaScript's. */
export function pyStrip(text: string): string {
  return text.replace(PY_STRIP, '');
}

export function processPunctuation(text: string): string {
  let out = text;
  // the conditions look at the text as it came in, not as it is being rewritten
  for (const p of PUNCTUATION) {
    if (text.includes(`${p} `) || text.includes(` ${p}`) || COMMA_BETWEEN_DIGITS.test(text)) out = out.split(p).join('');
    else out = out.split(p).join(' ');
  }
  let removed = 0;
  return out.replace(PERIOD_STRIP, (period) => (removed++ < PERIOD_STRIP_COUNT ? '' : period));
}

export function processDigitArticle(text: string): string {
  const words = text
    .toLowerCase()
    .split(PY_SPLIT)
    .filter(Boolean)
    .map((w) => NUMBER_WORDS[w] ?? w)
    .filter((w) => !ARTICLES.has(w))
    .map((w) => CONTRACTIONS.get(w) ?? w);
  return words.join(' ');
}

/** Newlines and tabs become spaces, then Python's strip(): what the official script does to every answer first. */
function clean(text: string): string {
  return pyStrip(text.replace(/\n/g, ' ').replace(/\t/g, ' '));
}

/** Accuracy of one prediction against the ten human answers (0..1), as the official script computes it. */
export function vqaAccuracy(prediction: string, humanAnswers: readonly string[]): number {
  let res = clean(prediction);
  let gts = humanAnswers.map(clean);
  if (new Set(gts).size > 1) {
    gts = gts.map((a) => processDigitArticle(processPunctuation(a)));
    res = processDigitArticle(processPunctuation(res));
  }
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
  byImage: true,
  score: (sample, prediction) => ({ vqaAccuracy: vqaAccuracy(prediction, sample.answers) }),
  include: () => true,
  categories: (r) => [`answer type/${String(r.categories['answerType'])}`],
});
