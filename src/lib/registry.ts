import { XfError } from './errors.js';

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

export function closest(word: string, candidates: readonly string[], max = 3): string[] {
  return [...candidates]
    .map((c) => ({ c, d: editDistance(word.toLowerCase(), c.toLowerCase()) }))
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, max)
    .map((x) => x.c);
}

/**
 * A named collection of lazily created entries (datasets, metrics). A duplicate id is a programming
 * error; an unknown id is a user error that names the closest known ids.
 */
export class Registry<T> {
  private readonly factories = new Map<string, () => T | Promise<T>>();

  constructor(private readonly kind: string) {}

  register(id: string, factory: () => T | Promise<T>): void {
    if (this.factories.has(id)) throw new Error(`duplicate ${this.kind} id: ${id}`);
    this.factories.set(id, factory);
  }

  ids(): string[] {
    return [...this.factories.keys()].sort();
  }

  has(id: string): boolean {
    return this.factories.has(id);
  }

  async get(id: string): Promise<T> {
    const factory = this.factories.get(id);
    if (!factory) {
      throw new XfError(`E_UNKNOWN_${this.kind.toUpperCase()}`, `unknown ${this.kind} "${id}"`, {
        suggestion: `Did you mean: ${closest(id, this.ids()).join(', ')}?`,
      });
    }
    return factory();
  }
}
