import Table from 'cli-table3';
import type { PlanRow } from '../compare/plan.js';

const pct = (x: number | undefined) => (x === undefined ? '' : `${(100 * x).toFixed(1)}%`);
const count = (x: number | null) => (x === null ? 'n/a' : x.toLocaleString('en-US'));

/** `xfbench plan` as a table: the pilot's figures per row, and the images a study needs. */
export function planTable(rows: readonly PlanRow[], opts: { delta: number; power: number }): string {
  const table = new Table({
    head: ['metric', 'category', 'n', 'images', 'discordant', 'design effect', 'α', 'finds now', `images for Δ ${opts.delta}`, 'questions'],
    style: { head: [], border: [] },
  });
  for (const r of rows)
    table.push([
      r.metric,
      r.category,
      r.n,
      r.images,
      pct(r.discordance),
      r.designEffect === undefined ? '' : r.designEffect.toFixed(2),
      r.alpha.toPrecision(2),
      r.detectableNow.toFixed(2),
      count(r.imagesNeeded),
      count(r.questionsNeeded),
    ]);
  return [
    table.toString(),
    `Images needed for a true Δ of ${opts.delta} to be found ${Math.round(100 * opts.power)}% of the time at each row's level (α, or α over the tests of its family), ` +
      "from the pilot's cluster-robust standard error scaled by √(images); 'finds now' is the pilot's own minimum detectable effect. " +
      'Design effect: how much clustering by image inflates the variance of Δ over independent questions.',
  ].join('\n');
}
