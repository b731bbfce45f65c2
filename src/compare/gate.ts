import { z } from 'zod';
import { XfError } from '../lib/errors.js';
import { readJson } from '../lib/files.js';
import { closest } from '../lib/registry.js';
import { holm } from '../metrics/paired.js';
import { metricRegistry } from '../metrics/registry.js';
import { shiftedTails } from '../metrics/sign-flip-interval.js';
import type { Metric } from '../metrics/types.js';
import { imagesOf } from './multiplicity.js';
import { rowEvidence } from './paired-rows.js';
import type { Comparison, ComparisonRow } from './types.js';

/** The modes a rule can have (docs/scoring.md, "The gate"). */
const GATE_MODES = ['max-drop', 'non-inferiority', 'observed'] as const;
export type GateMode = (typeof GATE_MODES)[number];

/** The gate's α when the file does not set one: the chance that a candidate no worse than allowed fails, over all rules. */
export const GATE_ALPHA = 0.05;

export const gateSchema = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    /** One α for the whole gate: the checks' p-values are Holm-adjusted across every rule (and benchmark). */
    alpha: z.number().gt(0).lt(1).optional(),
    /** Pass a candidate that lacks some of the baseline's items (with `--intersect`); by default that fails. */
    allowMissingItems: z.boolean().optional(),
    /** Removed: every max-drop rule is now a test (see `mode`); refused with a hint so that no old gate changes meaning silently. */
    requireSignificant: z.boolean().optional(),
    rules: z
      .array(
        z
          .object({
            metric: z.string().min(1),
            /** Category name or pattern; `*` matches any run of characters (e.g. `structural/*`). */
            category: z.string().min(1).default('overall'),
            /** Largest allowed worsening, in the metric's units (points for percentages). */
            maxDrop: z.number().nonnegative(),
            /**
             * `max-drop` (default): fails when the data show, at the gate's α, a drop larger than maxDrop
             * (H0: the drop is at most maxDrop). `non-inferiority`: passes only when the data show the
             * drop is smaller than maxDrop (evidence of no harm, not absence of evidence of harm).
             * `observed`: fails when the observed drop exceeds maxDrop, however noisy (fails on noise).
             */
            mode: z.enum(GATE_MODES).optional(),
            /** Removed (see the gate's requireSignificant). */
            requireSignificant: z.boolean().optional(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();
export type Gate = z.infer<typeof gateSchema>;

export interface GateCheck {
  metric: string;
  category: string;
  /** The rule's index in the file; -1 for the gate's own check of the items. */
  rule: number;
  mode: GateMode;
  maxDrop: number;
  /** Worsening in the metric's units (negative: it improved). */
  drop: number | null;
  /** Images behind the row. */
  images?: number;
  /** One-sided p-value of the rule's null (max-drop: the drop is at most maxDrop; non-inferiority: it is at least maxDrop). */
  p?: number;
  /** p Holm-adjusted across every tested check of the gate. */
  pAdjusted?: number;
  passed: boolean;
  /** Not judged (too few images, with --allow-few): passed, and said so. */
  skipped?: boolean;
  reason: string;
}

export interface GateResult {
  file: string;
  alpha: number;
  passed: boolean;
  checks: GateCheck[];
}

export interface GateOptions {
  /** Rows on fewer images than the comparison's minimum are skipped (and said so) instead of failing. */
  allowFew?: boolean;
  /** A candidate lacking some of the baseline's items passes that check (also the file's allowMissingItems). */
  allowMissing?: boolean;
}

/** Why a rule cannot be applied to a metric, if it cannot: refused when the gate file is read, not when it would have passed. */
function untestable(rule: Gate['rules'][number], metric: Metric): string | undefined {
  if (metric.neutral) return `${metric.id} is descriptive (neither higher nor lower is better) and cannot be gated`;
  const paired = metric.perSample && metric.perSample.transform !== 'sqrt';
  if (paired || rule.mode === 'observed') return undefined;
  const what = metric.permutationTest ? 'only a test of no change (by permutation), not of a drop beyond a threshold' : 'no paired test';
  return `${metric.id} has ${what}, so a drop beyond maxDrop cannot be shown (${rule.mode ?? 'max-drop'}); use "mode": "observed" to gate its value`;
}

/** Reads and checks a gate file: its schema, and that every rule can be applied to the metric it names. */
export async function loadGate(file: string): Promise<Gate> {
  const gate = (await readJson(file, gateSchema, 'gate file')).value;
  const legacyRule = gate.rules.findIndex((r) => r.requireSignificant !== undefined);
  const legacyField =
    gate.requireSignificant !== undefined ? 'requireSignificant' : legacyRule >= 0 ? `rules[${legacyRule}].requireSignificant` : undefined;
  if (legacyField) {
    throw new XfError('E_GATE_OBSOLETE', 'requireSignificant is gone: a max-drop rule now fails only on a drop shown beyond maxDrop', {
      file,
      field: legacyField,
      suggestion: 'Delete requireSignificant; for the old point-estimate rule set "mode": "observed" (docs/scoring.md, "The gate").',
    });
  }
  const registry = metricRegistry();
  for (const [i, rule] of gate.rules.entries()) {
    // an unknown id is reported against the runs' metrics when the gate is applied, with suggestions
    if (!registry.has(rule.metric)) continue;
    const why = untestable(rule, await registry.get(rule.metric));
    if (why)
      throw new XfError('E_GATE_UNTESTABLE', `rule ${i + 1}: ${why}`, {
        file,
        field: `rules[${i}]`,
        suggestion: 'Gate a per-question metric (such as an accuracy), or use "mode": "observed".',
      });
  }
  return gate;
}

function patternToRegExp(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

/** The rows of one comparison a rule applies to; a rule that matches nothing is an error, not a pass. */
function matchRule(rule: Gate['rules'][number], i: number, comparison: Comparison, file: string): ComparisonRow[] {
  const metrics = [...new Set(comparison.rows.map((r) => r.metric))];
  if (!metrics.includes(rule.metric)) {
    throw new XfError('E_GATE_UNKNOWN_METRIC', `rule ${i + 1} names metric "${rule.metric}", which these runs do not have`, {
      file,
      field: `rules[${i}].metric`,
      suggestion: `Did you mean: ${closest(rule.metric, metrics).join(', ')}?`,
    });
  }
  const re = patternToRegExp(rule.category);
  const matched = comparison.rows.filter((r) => r.metric === rule.metric && re.test(r.category));
  if (matched.length === 0) {
    const cats = comparison.rows.filter((r) => r.metric === rule.metric).map((r) => r.category);
    throw new XfError('E_GATE_NO_MATCH', `rule ${i + 1}: category "${rule.category}" matches nothing for ${rule.metric}`, {
      file,
      field: `rules[${i}].category`,
      suggestion: `Categories include: ${closest(rule.category, cats, 4).join(', ')}.`,
    });
  }
  return matched;
}

/**
 * One rule on one row, before the adjustment: the drop, and for the tested modes the one-sided
 * sign-flip p-value of the rule's null at the shift maxDrop (so the test is of "dropped by more than
 * maxDrop", not of "changed at all").
 */
function checkRow(row: ComparisonRow, rule: number, mode: GateMode, maxDrop: number, comparison: Comparison, opts: GateOptions): GateCheck {
  const minImages = comparison.minImages;
  const base = { metric: row.metric, category: row.category, rule, mode, maxDrop };
  if (row.delta === null) return { ...base, drop: null, passed: false, reason: `cannot be checked: ${row.note ?? 'no value'}` };
  const drop = row.higherIsBetter ? -row.delta : row.delta;
  const amount = `${drop >= 0 ? 'dropped' : 'improved'} by ${Math.abs(drop).toFixed(2)} (allowed drop ${maxDrop})`;
  if (mode === 'observed') {
    const passed = drop <= maxDrop + 1e-9;
    return { ...base, drop, passed, reason: `${amount}${passed ? '' : ', observed (mode observed: noise alone can fail it)'}` };
  }
  const evidence = rowEvidence(row);
  if (!evidence || !row.test)
    return { ...base, drop, passed: false, reason: `${amount}, and it cannot be tested: ${row.note ?? 'no paired test'}` };
  const images = imagesOf(row);
  if (images < minImages) {
    const few = `${amount}; too few images for a verdict (${images} < ${minImages}, --min-images)`;
    return opts.allowFew
      ? { ...base, drop, images, passed: true, skipped: true, reason: `${few}: not judged (--allow-few)` }
      : { ...base, drop, images, passed: false, reason: `${few}: fails (--allow-few skips it)` };
  }
  // gains in per-item units, oriented so that positive is better; the null's boundary is a gain of −maxDrop
  const sign = row.higherIsBetter ? 1 : -1;
  const oriented = { diff: evidence.diff.map((d) => sign * d), count: evidence.count };
  // max-drop rejects "drop ≤ maxDrop" when the gains sit clearly below −maxDrop; non-inferiority the
  // reverse. For 0/1 scores the least-variance bound must reject too (sign-flip-interval.ts): a
  // sign-flip test alone would call two runs that never disagree non-inferior at any margin
  const tails = shiftedTails(oriented, -maxDrop / evidence.scale, comparison.signPatterns, evidence.binary);
  const p = mode === 'max-drop' ? tails.lower : tails.upper;
  return { ...base, drop, images, p, passed: true, reason: amount };
}

/** Holm across every tested check, then each check's outcome at the gate's α. */
function judge(checks: GateCheck[], alpha: number): void {
  const tested = checks.filter((c) => c.p !== undefined);
  const adjusted = holm(tested.map((c) => c.p!));
  tested.forEach((c, i) => {
    c.pAdjusted = adjusted[i]!;
    const shown = c.pAdjusted < alpha;
    const pText = `one-sided p = ${c.p!.toPrecision(3)}, ${tested.length > 1 ? `Holm-adjusted over ${tested.length} checks ` : ''}${c.pAdjusted.toPrecision(3)} vs α ${alpha}`;
    if (c.mode === 'max-drop') {
      c.passed = !shown;
      c.reason = `${c.reason}; ${shown ? `a drop beyond ${c.maxDrop} is shown` : `a drop beyond ${c.maxDrop} is not shown`} (${pText})`;
    } else {
      c.passed = shown;
      c.reason = `${c.reason}; ${shown ? `a drop of ${c.maxDrop} or more is ruled out, so non-inferior` : 'non-inferiority is not shown'} (${pText})`;
    }
  });
}

/** The gate's own check that the candidate was judged on every item of the baseline. */
function itemsCheck(comparison: Comparison, allowed: boolean): GateCheck | undefined {
  const missing = comparison.items.onlyInA;
  if (missing === 0) return undefined;
  const base = { metric: '(items)', category: 'all', rule: -1, mode: 'max-drop' as const, maxDrop: 0, drop: null };
  const what = `the candidate lacks ${missing} of the baseline's ${comparison.items.compared + missing} items (--intersect)`;
  return allowed
    ? { ...base, passed: true, reason: `${what}: allowed` }
    : {
        ...base,
        passed: false,
        reason: `${what}: the rules saw only the items both runs share (allow with --allow-missing or "allowMissingItems")`,
      };
}

/**
 * Applies a gate to comparisons (A = baseline, B = candidate) that form one decision: one comparison,
 * or one per benchmark of two suites. Each rule applies to the comparisons whose metrics include its
 * metric, and must apply to at least one; one α holds across all their checks.
 */
export function applyGateAcross(gate: Gate, comparisons: readonly Comparison[], file: string, opts: GateOptions = {}): GateResult[] {
  const alpha = gate.alpha ?? GATE_ALPHA;
  const used = new Set<number>();
  const perComparison = comparisons.map((comparison) => {
    const metrics = new Set(comparison.rows.map((r) => r.metric));
    const checks: GateCheck[] = [];
    gate.rules.forEach((rule, i) => {
      if (comparisons.length > 1 && !metrics.has(rule.metric)) return;
      used.add(i);
      for (const row of matchRule(rule, i, comparison, file))
        checks.push(checkRow(row, i, rule.mode ?? 'max-drop', rule.maxDrop, comparison, opts));
    });
    const items = itemsCheck(comparison, Boolean(opts.allowMissing || gate.allowMissingItems));
    if (items) checks.push(items);
    return checks;
  });
  const unused = gate.rules.findIndex((_, i) => !used.has(i));
  if (unused >= 0) {
    const all = [...new Set(comparisons.flatMap((c) => c.rows.map((r) => r.metric)))];
    throw new XfError(
      'E_GATE_UNKNOWN_METRIC',
      `rule ${unused + 1} names metric "${gate.rules[unused]!.metric}", which no benchmark of these suites has`,
      { file, field: `rules[${unused}].metric`, suggestion: `Did you mean: ${closest(gate.rules[unused]!.metric, all).join(', ')}?` },
    );
  }
  judge(perComparison.flat(), alpha);
  return perComparison.map((checks) => ({ file, alpha, passed: checks.every((c) => c.passed), checks }));
}

/** A gate on one comparison. */
export function applyGate(gate: Gate, comparison: Comparison, file: string, opts: GateOptions = {}): GateResult {
  return applyGateAcross(gate, [comparison], file, opts)[0]!;
}
