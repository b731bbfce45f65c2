import { z } from 'zod';
import { XfError } from '../lib/errors.js';
import { readJson } from '../lib/files.js';
import { closest } from '../lib/registry.js';
import { metricRegistry } from '../metrics/registry.js';
import type { Metric } from '../metrics/types.js';
import type { Comparison, ComparisonRow } from './types.js';

export const gateSchema = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    /** Default for rules that do not say: a drop must also be significant (Holm-adjusted) to fail. */
    requireSignificant: z.boolean().default(false),
    rules: z
      .array(
        z
          .object({
            metric: z.string().min(1),
            /** Category name or pattern; `*` matches any run of characters (e.g. `structural/*`). */
            category: z.string().min(1).default('overall'),
            /** Largest allowed worsening, in the metric's units (points for percentages). */
            maxDrop: z.number().nonnegative(),
            requireSignificant: z.boolean().optional(),
            /**
             * `max-drop` (default): fails when the observed drop exceeds maxDrop (and, with
             * requireSignificant, is significant). `non-inferiority`: passes only when the 95% interval of Δ
             * rules out a drop larger than maxDrop: evidence of no harm, not absence of evidence of harm.
             */
            mode: z.enum(['max-drop', 'non-inferiority']).optional(),
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
  rule: number;
  mode: 'max-drop' | 'non-inferiority';
  maxDrop: number;
  /** Worsening in the metric's units (negative: it improved). */
  drop: number | null;
  requireSignificant: boolean;
  significant: boolean;
  passed: boolean;
  reason: string;
}

export interface GateResult {
  file: string;
  passed: boolean;
  checks: GateCheck[];
}

/** Why a rule cannot be applied to a metric, if it cannot: refused when the gate file is read, not when it would have passed. */
function untestable(rule: Gate['rules'][number], requireSignificant: boolean, metric: Metric): string | undefined {
  if (metric.neutral) return `${metric.id} is descriptive (neither higher nor lower is better) and cannot be gated`;
  const paired = metric.perSample && metric.perSample.transform !== 'sqrt';
  if (paired) return undefined;
  if (rule.mode === 'non-inferiority') return `${metric.id} has no paired interval, so non-inferiority cannot be shown`;
  if (requireSignificant) return `${metric.id} has no paired test, so requireSignificant cannot be met`;
  return undefined;
}

/** Reads and checks a gate file: its schema, and that every rule can be applied to the metric it names. */
export async function loadGate(file: string): Promise<Gate> {
  const gate = (await readJson(file, gateSchema, 'gate file')).value;
  const registry = metricRegistry();
  for (const [i, rule] of gate.rules.entries()) {
    // an unknown id is reported against the runs' metrics when the gate is applied, with suggestions
    if (!registry.has(rule.metric)) continue;
    const why = untestable(rule, rule.requireSignificant ?? gate.requireSignificant, await registry.get(rule.metric));
    if (why)
      throw new XfError('E_GATE_UNTESTABLE', `rule ${i + 1}: ${why}`, {
        file,
        field: `rules[${i}]`,
        suggestion: 'Gate a per-question metric (such as an accuracy), or drop requireSignificant / non-inferiority.',
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

/**
 * Applies a gate to a comparison (A = baseline, B = candidate). Every rule must name a metric the
 * comparison has and match at least one category: a rule that checks nothing is an error, not a pass.
 */
export function applyGate(gate: Gate, comparison: Comparison, file: string): GateResult {
  const metrics = [...new Set(comparison.rows.map((r) => r.metric))];
  const checks: GateCheck[] = [];
  gate.rules.forEach((rule, i) => {
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
    const requireSignificant = rule.requireSignificant ?? gate.requireSignificant;
    for (const row of matched) checks.push(check(row, i, rule.mode ?? 'max-drop', rule.maxDrop, requireSignificant));
  });
  return { file, passed: checks.every((c) => c.passed), checks };
}

/**
 * A gate over several comparisons of different benchmarks (two suites): each rule applies to the
 * comparisons whose metrics include its metric, and must apply to at least one.
 */
export function applyGateAcross(gate: Gate, comparisons: readonly Comparison[], file: string): GateResult[] {
  const used = new Set<number>();
  const results = comparisons.map((c) => {
    const metrics = new Set(c.rows.map((r) => r.metric));
    const rules = gate.rules.filter((r, i) => metrics.has(r.metric) && used.add(i));
    return rules.length > 0 ? applyGate({ ...gate, rules }, c, file) : { file, passed: true, checks: [] };
  });
  const unused = gate.rules.findIndex((_, i) => !used.has(i));
  if (unused >= 0) {
    const all = [...new Set(comparisons.flatMap((c) => c.rows.map((r) => r.metric)))];
    throw new XfError(
      'E_GATE_UNKNOWN_METRIC',
      `rule ${unused + 1} names metric "${gate.rules[unused]!.metric}", which no benchmark of these suites has`,
      {
        file,
        field: `rules[${unused}].metric`,
        suggestion: `Did you mean: ${closest(gate.rules[unused]!.metric, all).join(', ')}?`,
      },
    );
  }
  return results;
}

function check(row: ComparisonRow, rule: number, mode: GateCheck['mode'], maxDrop: number, requireSignificant: boolean): GateCheck {
  const base = { metric: row.metric, category: row.category, rule, mode, maxDrop, requireSignificant, significant: row.significant };
  if (row.delta === null) {
    return { ...base, drop: null, passed: false, reason: `cannot be checked: ${row.note ?? 'no value'}` };
  }
  const drop = row.higherIsBetter ? -row.delta : row.delta;
  const amount = `${drop >= 0 ? 'dropped' : 'improved'} by ${Math.abs(drop).toFixed(2)} (allowed drop ${maxDrop})`;
  const adjusted = `adjusted p = ${row.pAdjusted?.toFixed(4)}`;
  if (mode === 'non-inferiority') {
    const i = row.deltaInterval;
    if (!i) return { ...base, drop, passed: false, reason: `cannot be checked: ${row.note ?? 'no interval of Δ'}` };
    // the interval's bound on the bad side: how large a drop the data still allow
    const worst = row.higherIsBetter ? -i.low : i.high;
    const passed = worst < maxDrop - 1e-9;
    const bound = `a drop of up to ${Math.max(0, worst).toFixed(2)} is within the 95% interval`;
    return { ...base, drop, passed, reason: `${amount}; ${bound}${passed ? ', so non-inferior' : ', so non-inferiority is not shown'}` };
  }
  if (requireSignificant && !row.test) {
    return { ...base, drop, passed: false, reason: `${amount}, and it cannot be tested: ${row.note ?? 'no paired test'}` };
  }
  const tooBig = drop > maxDrop + 1e-9;
  const passed = !tooBig || (requireSignificant && !row.significant);
  const reason = passed
    ? tooBig
      ? `${amount}, but not significantly (${adjusted})`
      : amount
    : `${amount}${requireSignificant ? `, significant (${adjusted})` : ''}`;
  return { ...base, drop, passed, reason };
}
