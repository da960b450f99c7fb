// Stores whose bytes have all been read but which are still making them durable (fsync, link,
// sidecars, the last multipart upload), so that the archive reader can go on to the next entry
// meanwhile, the way `tar -x` goes on while the kernel writes back. At most `limit` at once; two
// at once never share a key (the first of their candidate names), so which one takes a name is
// decided as it would be one after the other. The first failure is thrown by the next `add` or
// `drain`; a caller moves its resume point only after `drain`.

export class InFlight {
  private readonly running = new Map<Promise<void>, string>();
  private failure: { readonly error: unknown } | undefined;

  constructor(private readonly limit: number) {}

  /** Whether a store of `key` is still running. */
  holds(key: string): boolean {
    for (const running of this.running.values()) if (running === key) return true;
    return false;
  }

  /**
   * Tracks `work` (the store of `key`) and returns once `consumed` resolves (its body read to the
   * end) or the work settles, and no more than `limit` stores are running.
   */
  async add(key: string, work: Promise<void>, consumed: Promise<void>): Promise<void> {
    this.throwIfFailed();
    const tracked: Promise<void> = work
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.running.delete(tracked));
    this.running.set(tracked, key);
    await Promise.race([tracked, consumed]);
    while (this.running.size >= this.limit) await Promise.race(this.running.keys());
    this.throwIfFailed();
  }

  /** Waits for every running store; throws the first failure. */
  async drain(): Promise<void> {
    await this.settle();
    this.throwIfFailed();
  }

  /** Waits for every running store, whatever becomes of them (when the caller fails anyway). */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.keys());
  }

  private throwIfFailed(): void {
    const failure = this.failure;
    if (!failure) return;
    this.failure = undefined;
    throw failure.error;
  }
}

/** Resolves when `body` has been read to its end; never, when it fails or is destroyed first. */
export function endOf(body: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => body.once('end', () => resolve()));
}
