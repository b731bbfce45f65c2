/**
 * Sample ids made from the data itself (subtask, image, question) for formats whose files give none,
 * so that answers another harness wrote, keyed by the same fields, map onto the same samples. A pair
 * that repeats gets "#2", "#3"… in file order.
 */
export class ContentIds {
  private readonly seen = new Map<string, number>();

  next(parts: readonly string[]): string {
    const base = parts.join('/');
    const n = (this.seen.get(base) ?? 0) + 1;
    this.seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  }
}
