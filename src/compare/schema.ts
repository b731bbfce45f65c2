import { z } from 'zod';
import { familyEntrySchema } from '../metrics/types.js';

/** The shape of `xfbench compare --json`, published as schemas/compare.schema.json. */
const deltaInterval = z.object({
  /** null: unbounded (too few images to rule out any shift on that side). */
  low: z.number().nullable(),
  high: z.number().nullable(),
  method: z.literal('sign-flip-inversion'),
  confidence: z.number(),
  patterns: z.enum(['all', 'monte-carlo', 'normal']),
  seed: z.number().int(),
  iterations: z.number().int(),
  clusters: z.number().int(),
});

export const comparisonRowSchema = z.object({
  metric: z.string(),
  category: z.string(),
  higherIsBetter: z.boolean(),
  n: z.number().int().nonnegative(),
  a: z.number().nullable(),
  b: z.number().nullable(),
  delta: z.number().nullable(),
  deltaInterval: deltaInterval.optional(),
  standardError: z.number().optional(),
  test: z
    .object({
      method: z.enum([
        'mcnemar-exact',
        'mcnemar-chi-square-cc',
        'sign-flip-exact',
        'sign-flip-monte-carlo',
        'sign-flip-normal',
        'permutation',
        'none',
      ]),
      p: z.number().min(0).max(1),
      clusters: z.number().int().optional(),
      discordant: z.object({ aOnly: z.number().int(), bOnly: z.number().int() }).optional(),
    })
    .optional(),
  adjustment: z.object({ family: z.string(), method: z.enum(['none', 'holm']), tests: z.number().int().positive() }).optional(),
  pAdjusted: z.number().min(0).max(1).optional(),
  minimumDetectableEffect: z.number().optional(),
  margin: z.number().optional(),
  significant: z.boolean(),
  verdict: z.enum(['better', 'worse', 'changed', 'no change', 'inconclusive', 'too few images', 'not tested']),
  note: z.string().optional(),
});

export const gateResultSchema = z.object({
  file: z.string(),
  alpha: z.number(),
  passed: z.boolean(),
  checks: z.array(
    z.object({
      metric: z.string(),
      category: z.string(),
      rule: z.number().int(),
      mode: z.enum(['max-drop', 'non-inferiority', 'observed']),
      maxDrop: z.number(),
      drop: z.number().nullable(),
      images: z.number().int().optional(),
      p: z.number().min(0).max(1).optional(),
      pAdjusted: z.number().min(0).max(1).optional(),
      passed: z.boolean(),
      skipped: z.boolean().optional(),
      reason: z.string(),
    }),
  ),
});

const comparisonSchema = z.object({
  a: z.object({ dir: z.string(), name: z.string() }),
  b: z.object({ dir: z.string(), name: z.string() }),
  dataset: z.object({ id: z.string(), sha256: z.string() }),
  items: z.object({ compared: z.number().int(), onlyInA: z.number().int(), onlyInB: z.number().int() }),
  signPatterns: z.object({ seed: z.number().int(), iterations: z.number().int() }),
  alpha: z.number(),
  minImages: z.number().int(),
  rows: z.array(comparisonRowSchema),
  families: z.array(familyEntrySchema),
  notes: z.array(z.string()),
});

/** `compare A B --json`. */
export const compareOutputSchema = z.object({ comparison: comparisonSchema, gate: gateResultSchema.optional() });

/** `compare A B C … --json`: each candidate against A. */
export const compareManyOutputSchema = z.object({ comparisons: z.array(comparisonSchema), gates: z.array(gateResultSchema).optional() });
