// Spacing of one batch's media requests, so that a whole backup stays under a rate however many
// workers share it: the workflow knows how many batches it runs at once and gives each its share
// (an interval between its requests, batchInterval in workflows/batches.ts); batches run one item
// at a time, so their shares add up.
// Every request counts, retries too.
import type { Context } from '@temporalio/activity';

export class Pace {
  private next = 0;

  /** `intervalMs`: the least time between two requests of this batch (0: no limit). */
  constructor(
    private readonly intervalMs: number,
    private readonly ctx: Context,
  ) {}

  /** Waits (cancellably) until this batch may send its next request. */
  async turn(): Promise<void> {
    if (this.intervalMs <= 0) return;
    const wait = this.next - Date.now();
    if (wait > 0) await this.ctx.sleep(wait);
    this.next = Math.max(this.next, Date.now()) + this.intervalMs;
  }
}
