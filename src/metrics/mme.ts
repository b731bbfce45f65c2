import { meanMetric } from './mean-metric.js';
import type { Metric, MetricValue, ScoredSample } from './types.js';

/** MME scoring as its official eval_tool/calculation.py does it (docs/scoring.md). */

/** The official grouping: the perception total is over these ten subtasks, the cognition total over the other four. */
export const MME_PERCEPTION = [
  'existence',
  'count',
  'position',
  'color',
  'posters',
  'celebrity',
  'scene',
  'landmark',
  'artwork',
  'OCR',
] as const;
export const MME_COGNITION = ['commonsense_reasoning', 'numerical_calculation', 'text_translation', 'code_reasoning'] as const;

/**
 * MME's answer parsing: the lowercased answer itself when it is exactly "yes" or "no", else "yes" and
 * then "no" looked for in its first four characters (code points, as Python slices), else "other".
 */
export function mmeLabel(prediction: string): 'yes' | 'no' | 'other' {
  const p = prediction.toLowerCase();
  if (p === 'yes' || p === 'no') return p;
  const head = Array.from(p).slice(0, 4).join('');
  return head.includes('yes') ? 'yes' : head.includes('no') ? 'no' : 'other';
}

const subtask = (r: ScoredSample) => [`subtask/${String(r.categories['subtask'])}`];

export const mmeAccuracy: Metric = meanMetric({
  id: 'mme.accuracy',
  description: 'MME question accuracy (acc), overall and per subtask',
  higherIsBetter: true,
  key: 'mmeCorrect',
  scale: 100,
  binary: true,
  byImage: true,
  score: (sample, prediction) => ({ mmeCorrect: mmeLabel(prediction) === sample.answers[0]!.toLowerCase() ? 1 : 0 }),
  include: () => true,
  categories: subtask,
});

interface SubtaskScore {
  task: string;
  value: MetricValue;
  score: number;
  questions: number;
}

/** acc over the subtask's questions, acc+ over its images with both questions right (images with one question are left out of acc+, which the official script cannot take). */
function subtaskScore(id: string, task: string, images: ReadonlyMap<string, ScoredSample[]>): SubtaskScore {
  const qs = [...images.values()].flat();
  const acc = qs.filter((r) => r.scores['mmeCorrect'] === 1).length / qs.length;
  const pairs = [...images.values()].filter((g) => g.length === 2);
  const accPlus = pairs.length ? pairs.filter((g) => g.every((r) => r.scores['mmeCorrect'] === 1)).length / pairs.length : 0;
  const score = 100 * acc + 100 * accPlus;
  const left = images.size - pairs.length;
  const note = `acc ${(100 * acc).toFixed(2)}, acc+ ${(100 * accPlus).toFixed(2)}${left ? ` (${left} image${left === 1 ? '' : 's'} without two questions left out of acc+)` : ''}`;
  return {
    task,
    score,
    questions: qs.length,
    value: { metric: id, category: `subtask/${task}`, value: score, n: qs.length, higherIsBetter: true, note },
  };
}

function total(
  id: string,
  category: 'perception' | 'cognition',
  names: readonly string[],
  scores: readonly SubtaskScore[],
): MetricValue | undefined {
  const members = scores.filter((s) => names.includes(s.task));
  if (members.length === 0) return undefined;
  const sum = members.reduce((a, s) => a + s.score, 0);
  return {
    metric: id,
    category,
    value: sum,
    n: members.reduce((a, s) => a + s.questions, 0),
    higherIsBetter: true,
    note: `sum over ${members.length} of its ${names.length} subtasks (max ${200 * members.length})`,
  };
}

/**
 * MME score per subtask: acc + acc+, out of 200; the perception total over the ten perception subtasks
 * and the cognition total over the four cognition subtasks, reported apart as MME reports them. The
 * overall row is the perception total, the figure papers quote as "MME".
 */
export const mmeScore: Metric = {
  id: 'mme.score',
  description:
    'MME score: acc + acc+ per subtask (max 200); perception (10 subtasks) and cognition (4) totals; overall is the perception total',
  higherIsBetter: true,
  permutationTest: true,
  families: [
    { id: 'total', description: 'perception or cognition total', shownByDefault: true },
    { id: 'subtask', description: 'subtask', shownByDefault: true },
  ],
  familyOf: (c) => (c === 'perception' || c === 'cognition' ? 'total' : c.split('/')[0]!),
  score: () => ({}),
  aggregate(rows) {
    const tasks = new Map<string, Map<string, ScoredSample[]>>();
    for (const r of rows) {
      const t = String(r.categories['subtask']);
      const images = tasks.get(t) ?? new Map<string, ScoredSample[]>();
      images.set(r.group, [...(images.get(r.group) ?? []), r]);
      tasks.set(t, images);
    }
    const scores = [...tasks.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([task, images]) => subtaskScore(this.id, task, images));
    const perception = total(this.id, 'perception', MME_PERCEPTION, scores);
    const cognition = total(this.id, 'cognition', MME_COGNITION, scores);
    const others = scores
      .filter((s) => !(MME_PERCEPTION as readonly string[]).includes(s.task) && !(MME_COGNITION as readonly string[]).includes(s.task))
      .map((s) => s.task);
    const overall: MetricValue = perception
      ? {
          ...perception,
          category: 'overall',
          note: `the perception total: ${perception.note}${others.length ? `; ${others.join(', ')} in neither total` : ''}`,
        }
      : {
          metric: this.id,
          category: 'overall',
          value: null,
          n: 0,
          higherIsBetter: true,
          note: `n/a: no perception subtask${cognition ? ' (see cognition)' : ''}`,
        };
    return [overall, ...(perception ? [perception] : []), ...(cognition ? [cognition] : []), ...scores.map((s) => s.value)];
  },
};
