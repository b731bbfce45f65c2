type TypedArray = Float64Array | Int32Array;

/**
 * A typed array that grows as values are pushed (doubling): a million numbers take 8 MB as a
 * Float64Array (4 MB as an Int32Array), where a plain array of boxed or tagged values takes more
 * and is scanned by every garbage collection.
 */
class Growable<T extends TypedArray> {
  private data: T;
  length = 0;

  constructor(private readonly make: (n: number) => T) {
    this.data = make(1024);
  }

  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = this.make(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }

  /** The values pushed (over a buffer of up to twice their size). */
  finish(): T {
    // a view, not a copy: a copy of the largest (6 codes a question) briefly doubled its 24 MB at 1M
    return this.data.subarray(0, this.length) as T;
  }
}

export const growableFloat64 = () => new Growable((n) => new Float64Array(n));
export const growableInt32 = () => new Growable((n) => new Int32Array(n));
export type { Growable };
