import { meanMetric } from './mean-metric.js';
import type { Metric, MetricValue, ScoredSample } from './types.js';

/** MME scoring as its official calculation.py does it (docs/scoring.md). */

/** MME's answer parsing: exact yes/no after dropping periods, else "yes"/"no" within the first four characters. */
export function mmeLabel(prediction: string): 'yes' | 'no' | 'other' {
  const p = prediction.toLowerCase().trim().replace(/\./g, '');
  if (p === 'yes' || p === 'no') return p;
  const head = p.slice(0, 4);
  return head.includes('yes') ? 'yes' : head.includes('no') ? 'no' : 'other';
}

const subtask = (r: ScoredSample) => [`subtask/${String(r.categories['subtask'])}`];

export const mmeAccuracy: Metric = meanMetric({
  id: 'mme.accuracy',
  description: 'MME question accuracy (acc), overall and per subtask',
  higherIsBetter: true, key: 'mmeCorrect', scale: 100, binary: true, clusterBootstrap: true,
  score: (sample, prediction) => ({ mmeCorrect: mmeLabel(prediction) === sample.answers[0]!.toLowerCase() ? 1 : 0 }),
  include: () => true,
  categories: subtask,
});

/** MME score per subtask: acc + acc+ (acc+ = share of images with both questions right), out of 200; overall is the sum. */
export const mmeScore: Metric = {
  id: 'mme.score',
  description: 'MME score: acc + acc+ per subtask (max 200); overall is the perception total over the subtasks present',
  higherIsBetter: true,
  score: () => ({}),
  aggregate(rows) {
    const tasks = new Map<string, Map<string, ScoredSample[]>>();
    for (const r of rows) {
      const t = String(r.categories['subtask']);
      const images = tasks.get(t) ?? new Map<string, ScoredSample[]>();
      images.set(r.group, [...(images.get(r.group) ?? []), r]);
      tasks.set(t, images);
    }
    const values: MetricValue[] = [];
    let total = 0;
    let n = 0;
    for (const [task, images] of [...tasks.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const qs = [...images.values()].flat();
      const acc = qs.filter((r) => r.scores['mmeCorrect'] === 1).length / qs.length;
      const accPlus = [...images.values()].filter((g) => g.every((r) => r.scores['mmeCorrect'] === 1)).length / images.size;
      const score = 100 * acc + 100 * accPlus;
      total += score;
      n += qs.length;
      values.push({ metric: this.id, category: `subtask/${task}`, value: score, n: qs.length, higherIsBetter: true, note: `acc ${(100 * acc).toFixed(2)}, acc+ ${(100 * accPlus).toFixed(2)}` });
    }
    return [{ metric: this.id, category: 'overall', value: n ? total : null, n, higherIsBetter: true, note: `sum over ${tasks.size} subtasks (max ${200 * tasks.size})` }, ...values];
  },
};
