import { z } from 'zod';

/**
 * run.json's `config`, declared once and split by what a setting can change:
 * - answer settings change a prediction or its score: a resumed run and every shard of a run must
 *   match them, and the resume fingerprint hashes them;
 * - among them, the scoring settings decide which items each metric counts and with what: `compare`
 *   applies one run's to both, so runs that differ in them are refused;
 * - speed settings change only how fast and in how much memory a run goes: they may differ between
 *   shards and between a run and its resumption;
 * - where: the shard a run covers, and the shards a merged run was joined from.
 * A `score` run records the scoring settings, `raw` and the scored system's name.
 */

export const shardSchema = z.object({ index: z.number().int().min(0), count: z.number().int().min(1) });
export type Shard = z.infer<typeof shardSchema>;

const ablationSchema = z.object({ encoder: z.string(), mode: z.enum(['zero', 'mean', 'shuffle', 'noise']) });

// Keys in the order earlier versions hashed them, so a run started by one of those still resumes.
export const answerSettingsSchema = z.object({
  /** Beam count and answer length (`run`); `score` has no model. */
  generation: z.object({ numBeams: z.number().int(), maxNewTokens: z.number().int() }).optional(),
  limit: z.number().int().nullable().optional(),
  // defaults: a run.json written before these were recorded scored the balanced questions, without choices
  allQuestions: z.boolean().default(false),
  choices: z.string().nullable().default(null),
  imageTemplate: z.string().nullable().optional(),
  metrics: z.array(z.string()),
  ablate: z.array(ablationSchema).optional(),
  /** `score` only: answers compared as given, without the benchmark's normalisation. */
  raw: z.boolean().optional(),
  /** The evaluation protocol's id (protocols/); absent in runs from before protocols: `official`. */
  protocol: z.string().optional(),
});
export type AnswerSettings = z.infer<typeof answerSettingsSchema>;

export const SCORING_KEYS = ['allQuestions', 'choices', 'metrics', 'protocol'] as const satisfies readonly (keyof AnswerSettings)[];

/** The flags behind each answer setting, for messages that say which one differs. */
export const ANSWER_SETTING_FLAGS: Record<keyof AnswerSettings, string> = {
  generation: '--num-beams / --max-new-tokens',
  limit: '--limit',
  allQuestions: '--all-questions',
  choices: '--choices',
  imageTemplate: '--image-template',
  metrics: 'the metrics (another xfbench version)',
  ablate: '--ablate',
  raw: '--raw',
  protocol: '--protocol',
};

export const speedSettingsSchema = z.object({
  device: z.string(),
  /** As asked (null: the default); `threadsUsed` is what the run got. */
  threads: z.number().int().nullable(),
  threadsUsed: z.number().int(),
  batchSize: z.number().int(),
  window: z.number().int(),
  visionCache: z.boolean(),
  prefetch: z.number().int(),
  cacheDir: z.string().nullable(),
  maxErrors: z.number().int().nullable(),
  /** A served model: requests in flight at most, and each request's time limit and retries. */
  concurrency: z.number().int(),
  requestTimeoutMs: z.number().int(),
  maxRetries: z.number().int(),
}).partial();
export type SpeedSettings = z.infer<typeof speedSettingsSchema>;

export const runConfigSchema = answerSettingsSchema.extend(speedSettingsSchema.shape).extend({
  shard: shardSchema.nullable().optional(),
  /** A merged run: the shard folders it was joined from. */
  mergedFrom: z.array(z.string()).optional(),
  /** A scored run: the system whose predictions were scored. */
  name: z.string().optional(),
});
export type RunConfig = z.infer<typeof runConfigSchema>;

function pick<T extends object>(shape: T, config: RunConfig): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(shape)) {
    const value = config[key as keyof RunConfig];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}

/** The settings that change answers, in declaration order and without absent ones (what the fingerprint hashes). */
export function answerSettingsOf(config: RunConfig): AnswerSettings {
  const settings = pick(answerSettingsSchema.shape, config) as AnswerSettings;
  // the default protocol is left out, so runs started before protocols existed still resume
  if (settings.protocol === DEFAULT_PROTOCOL_ID) delete settings.protocol;
  return settings;
}

/** What a run without a recorded protocol was evaluated under. */
export const DEFAULT_PROTOCOL_ID = 'official';

export function speedSettingsOf(config: RunConfig): SpeedSettings {
  return pick(speedSettingsSchema.shape, config) as SpeedSettings;
}

/** The first answer setting in which two configs differ, or undefined when they agree on all. */
export function firstAnswerDifference(a: RunConfig, b: RunConfig, keys: readonly (keyof AnswerSettings)[] = Object.keys(answerSettingsSchema.shape) as (keyof AnswerSettings)[]): { key: keyof AnswerSettings; a: string; b: string } | undefined {
  const value = (c: RunConfig, key: keyof AnswerSettings) => (key === 'protocol' ? (c.protocol ?? DEFAULT_PROTOCOL_ID) : (c[key] ?? null));
  for (const key of keys) {
    const va = JSON.stringify(value(a, key));
    const vb = JSON.stringify(value(b, key));
    if (va !== vb) return { key, a: va, b: vb };
  }
  return undefined;
}

/** The speed settings every one of several configs shares (a merged run records only those). */
export function sharedSpeedSettings(configs: readonly RunConfig[]): SpeedSettings {
  const shared: Record<string, unknown> = {};
  const first = speedSettingsOf(configs[0]!);
  for (const [key, value] of Object.entries(first)) {
    if (configs.every((c) => JSON.stringify(c[key as keyof RunConfig]) === JSON.stringify(value))) shared[key] = value;
  }
  return shared as SpeedSettings;
}
