import { createHash } from 'node:crypto';
import type { Sample } from '../datasets/types.js';
import { XfError } from '../lib/errors.js';

import type { Shard } from '../runs/run-config.js';

/** One part of a dataset: `index` of `count`, 0-based (Slurm's array task id, Kubernetes' completion index). */
export type { Shard } from '../runs/run-config.js';

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) {
    throw new XfError('E_USAGE', `--shard takes I/N with 0 <= I < N (e.g. 0/4), got "${text}"`, {
      suggestion: 'With Slurm: --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" and --array=0-(N-1).',
    });
  }
  return { index, count };
}

export function shardLabel(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/**
 * The shard a grouping key (an image; an MMVP pair) falls in: a hash of the key itself, so the split
 * depends on nothing but the data and N, not on the machine, the order of the files or how N factors,
 * and an image's questions stay together (its visual tokens are computed once, in one shard).
 */
export function shardOf(group: string, count: number): number {
  const h = createHash('sha256').update(group).digest();
  return Number(h.readBigUInt64BE(0) % BigInt(count));
}

export async function* inShard(samples: AsyncIterable<Sample>, shard: Shard | undefined): AsyncGenerator<Sample> {
  for await (const s of samples) if (!shard || shardOf(s.group, shard.count) === shard.index) yield s;
}
