import type { FamilyEntry, Metric } from './types.js';

/** Reporting order of a metric's categories: overall first, then the metric's own order, then natural order. */
export function naturalOrder(order?: (a: string, b: string) => number) {
  return (a: string, b: string): number => {
    if (a === b) return 0;
    if (a === 'overall') return -1;
    if (b === 'overall') return 1;
    return (order?.(a, b) ?? 0) || a.localeCompare(b, 'en', { numeric: true });
  };
}

/** The family a category belongs to: the metric's rule, else the text before its first "/". */
export function familyOf(metric: Pick<Metric, 'familyOf'>, category: string): string {
  return metric.familyOf?.(category) ?? category.split('/')[0]!;
}

/**
 * The families of a metric's categories (all but `overall`), in order of first appearance, with what
 * the metric declares of each; undeclared families are shown by default.
 */
export function familyEntries(metric: Pick<Metric, 'id' | 'families' | 'familyOf'>, categories: Iterable<string>): FamilyEntry[] {
  const entries = new Map<string, FamilyEntry>();
  for (const category of categories) {
    if (category === 'overall') continue;
    const id = familyOf(metric, category);
    let entry = entries.get(id);
    if (!entry) {
      const declared = metric.families?.find((f) => f.id === id);
      entry = {
        metric: metric.id,
        family: id,
        description: declared?.description ?? id,
        shownByDefault: declared?.shownByDefault ?? true,
        categories: [],
      };
      entries.set(id, entry);
    }
    if (!entry.categories.includes(category)) entry.categories.push(category);
  }
  return [...entries.values()];
}

/** Which rows a table shows, from the families a run or comparison lists (rows of no listed family are shown). */
export class RowVisibility {
  private readonly hidden = new Map<string, FamilyEntry>();

  constructor(
    families: readonly FamilyEntry[] | undefined,
    private readonly details: boolean,
  ) {
    for (const f of families ?? []) {
      if (f.shownByDefault) continue;
      for (const c of f.categories) this.hidden.set(`${f.metric}\u0000${c}`, f);
    }
  }

  private familyHiding(row: { metric: string; category: string }): FamilyEntry | undefined {
    return this.details ? undefined : this.hidden.get(`${row.metric}\u0000${row.category}`);
  }

  shown<T extends { metric: string; category: string }>(rows: readonly T[]): T[] {
    return rows.filter((r) => !this.familyHiding(r));
  }

  /** "detailed type, reasoning steps and question length": what the rows left out are by ('' when none are). */
  hiddenDescription(rows: readonly { metric: string; category: string }[]): string {
    const names: string[] = [];
    for (const r of rows) {
      const d = this.familyHiding(r)?.description;
      if (d && !names.includes(d)) names.push(d);
    }
    return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  }
}
