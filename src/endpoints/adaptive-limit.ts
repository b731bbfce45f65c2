/**
 * How many requests may be in flight, adapting as the good clients do: halved when the server says
 * it is overloaded (429), grown back by one after as many successes in a row as the current limit,
 * never above what was asked for nor below one.
 */
export class AdaptiveLimit {
  private inFlight = 0;
  private successes = 0;
  private readonly queue: (() => void)[] = [];
  /** The lowest the limit fell to, for the run's record. */
  lowest: number;

  constructor(
    readonly max: number,
    private current = max,
  ) {
    this.lowest = current;
  }

  get limit(): number {
    return this.current;
  }

  /** Resolves when a request may start; call `release` when it is done. */
  async acquire(): Promise<void> {
    if (this.inFlight < this.current) {
      this.inFlight += 1;
      return;
    }
    await new Promise<void>((resolve) => this.queue.push(resolve));
  }

  release(): void {
    const next = this.inFlight <= this.current ? this.queue.shift() : undefined;
    if (next)
      next(); // the slot passes on: in flight stays the same
    else this.inFlight -= 1;
  }

  overloaded(): void {
    this.successes = 0;
    this.current = Math.max(1, Math.floor(this.current / 2));
    this.lowest = Math.min(this.lowest, this.current);
  }

  succeeded(): void {
    if (this.current >= this.max) return;
    this.successes += 1;
    if (this.successes >= this.current) {
      this.successes = 0;
      this.current += 1;
      // a freed slot: start a waiting request now rather than at the next release
      if (this.inFlight < this.current) {
        const next = this.queue.shift();
        if (next) {
          this.inFlight += 1;
          next();
        }
      }
    }
  }
}
