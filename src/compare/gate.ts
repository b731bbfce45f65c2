import { z } from 'zod';
import { XfError } from '../lib/errors.js';
import { readJson } from '../lib/files.js';
import { closest } from '../lib/registry.js';
import type { Comparison, ComparisonRow } from './compare.js';

export const gateSchema = z.object({
  $schema: z.string().optional(),
  description: z.string().optional(),
  /** Default for rules that do not say: a drop must also be significant (Holm-adjusted) to fail. */
  requireSignificant: z.boolean().default(false),
  rules: z.array(z.object({
    metric: z.string().min(1),
    /** Category name or pattern; `*` matches any run of characters (e.g. `structural/*`). */
    category: z.string().min(1).default('overall'),
    /** Largest allowed worsening, in the metric's units (points for percentages). */
    maxDrop: z.number().nonnegative(),
    requireSignificant: z.boolean().optional(),
  }).strict()).min(1),
}).strict();
export type Gate = z.infer<typeof gateSchema>;

export interface GateCheck {
  metric: string;
  category: string;
  rule: number;
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

export async function loadGate(file: string): Promise<Gate> {
  return (await readJson(file, gateSchema, 'gate file')).value;
}

function patternToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
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
        file, field: `rules[${i}].metric`, suggestion: `Did you mean: ${closest(rule.metric, metrics).join(', ')}?`,
      });
    }
    const re = patternToRegExp(rule.category);
    const matched = comparison.rows.filter((r) => r.metric === rule.metric && re.test(r.category));
    if (matched.length === 0) {
      const cats = comparison.rows.filter((r) => r.metric === rule.metric).map((r) => r.category);
      throw new XfError('E_GATE_NO_MATCH', `rule ${i + 1}: category "${rule.category}" matches nothing for ${rule.metric}`, {
        file, field: `rules[${i}].category`, suggestion: `Categories include: ${closest(rule.category, cats, 4).join(', ')}.`,
      });
    }
    const requireSignificant = rule.requireSignificant ?? gate.requireSignificant;
    for (const row of matched) checks.push(check(row, i, rule.maxDrop, requireSignificant));
  });
  return { file, passed: checks.every((c) => c.passed), checks };
}

function check(row: ComparisonRow, rule: number, maxDrop: number, requireSignificant: boolean): GateCheck {
  const base = { metric: row.metric, category: row.category, rule, maxDrop, requireSignificant, significant: row.significant };
  if (row.delta === null) {
    return { ...base, drop: null, passed: false, reason: `cannot be checked: ${row.note ?? 'no value'}` };
  }
  const drop = row.higherIsBetter ? -row.delta : row.delta;
  const tooBig = drop > maxDrop + 1e-9;
  const passed = !tooBig || (requireSignificant && !row.significant);
  const amount = `${drop >= 0 ? 'dropped' : 'improved'} by ${Math.abs(drop).toFixed(2)} (allowed drop ${maxDrop})`;
  const reason = passed
    ? tooBig ? `${amount}, but not significantly (Holm p = ${row.pHolm?.toFixed(4)})` : amount
    : `${amount}${requireSignificant ? `, significant (Holm p = ${row.pHolm?.toFixed(4)})` : ''}`;
  return { ...base, drop, passed, reason };
}
