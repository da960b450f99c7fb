// The progress of one downloadBatch attempt, and its heartbeats. Heartbeat details carry the
// result so far and the ids finished, so a retried attempt resumes where the last one stopped;
// a ticker heartbeats even while nothing moves (waiting for a slow server's first byte, a
// backoff), so a live worker is never mistaken for a dead one.
import type { Context } from '@temporalio/activity';
import { count } from '../metrics.js';
import type { MediaDescriptor } from '../sources/descriptor.js';

export interface ItemFailure {
  readonly id: string;
  /** Absent when Google gave the item no name. */
  readonly filename?: string;
  readonly reason: string;
  /** Tries spent on the item in this run. */
  readonly attempts?: number;
  /**
   * What kind of trouble (for metrics and people): `gone` from Google, a `video-failed` at Google,
   * `transient` trouble that outlasted the tries, `refused` for good, or a `bug` in our code.
   */
  readonly kind?: FailureKind;
}

export type FailureKind = 'gone' | 'video-failed' | 'transient' | 'refused' | 'bug';

export interface DownloadBatchResult {
  readonly stored: number;
  readonly storedBytes: number;
  /** Already in the destination (manifest and file agree). */
  readonly skipped: number;
  /** Items given up for this run (reason, tries); the next run tries them again. */
  readonly failed: readonly ItemFailure[];
  /** Videos still PROCESSING at Google: try again later. */
  readonly deferred: readonly MediaDescriptor[];
  /**
   * Items whose tries were spent on transient trouble, handed back (when the batch was asked to)
   * for one more round at the end of the backup instead of being recorded as failed now.
   */
  readonly retryLater?: readonly MediaDescriptor[];
}

/**
 * Heartbeat details: the result so far plus the ids finished, for the next attempt, and the bytes
 * of the item being stored now (for live progress: `status` and `--follow` add them up).
 */
export interface DownloadBatchHeartbeat extends DownloadBatchResult {
  readonly done: readonly string[];
  readonly currentBytes?: number;
}

const EMPTY: DownloadBatchHeartbeat = { stored: 0, storedBytes: 0, skipped: 0, failed: [], deferred: [], done: [] };
/** At most one progress heartbeat a second (the SDK throttles further, and the manifest covers the rest). */
const PROGRESS_HEARTBEAT_MS = 1000;
/** The ticker's period when the activity has no heartbeat timeout. */
const DEFAULT_TICK_MS = 10_000;

export class BatchProgress {
  private state: DownloadBatchHeartbeat;
  private readonly done: Set<string>;
  private lastBeat = 0;
  private readonly ticker: NodeJS.Timeout;

  constructor(private readonly ctx: Context) {
    const prior = ctx.info.heartbeatDetails as Partial<DownloadBatchHeartbeat> | undefined;
    this.state = prior && Array.isArray(prior.done) ? { ...EMPTY, ...prior } : EMPTY;
    this.done = new Set(this.state.done);
    // Three beats per heartbeat timeout: a worker that is alive always looks alive.
    const timeout = ctx.info.heartbeatTimeoutMs;
    const tick = timeout ? Math.max(200, Math.min(DEFAULT_TICK_MS, timeout / 3)) : DEFAULT_TICK_MS;
    this.ticker = setInterval(() => this.beat(true), tick);
    this.ticker.unref();
  }

  /** Finished in an earlier attempt (stored, skipped, failed or deferred). */
  has(id: string): boolean {
    return this.done.has(id);
  }

  skipped(id: string): void {
    count('skipped');
    this.finish(id, { skipped: this.state.skipped + 1 });
  }

  stored(id: string, bytes: number): void {
    count('stored');
    count('storedBytes', bytes);
    this.finish(id, { stored: this.state.stored + 1, storedBytes: this.state.storedBytes + bytes });
  }

  failed(failure: ItemFailure): void {
    count('failed', 1, { kind: failure.kind ?? 'refused' });
    this.finish(failure.id, { failed: [...this.state.failed, failure] });
  }

  deferred(descriptor: MediaDescriptor): void {
    this.finish(descriptor.id, { deferred: [...this.state.deferred, descriptor] });
  }

  handedBack(descriptor: MediaDescriptor): void {
    this.finish(descriptor.id, { retryLater: [...(this.state.retryLater ?? []), descriptor] });
  }

  /** Bytes of the item being stored now. */
  bytes(count: number): void {
    this.state = { ...this.state, currentBytes: count };
    this.beat();
  }

  beat(force = false): void {
    const now = Date.now();
    if (!force && now - this.lastBeat < PROGRESS_HEARTBEAT_MS) return;
    this.lastBeat = now;
    this.state = { ...this.state, done: [...this.done] };
    this.ctx.heartbeat(this.state);
  }

  stop(): void {
    clearInterval(this.ticker);
  }

  result(): DownloadBatchResult {
    this.beat(true);
    const { done: _done, currentBytes: _current, ...result } = this.state;
    return result;
  }

  private finish(id: string, change: Partial<DownloadBatchHeartbeat>): void {
    this.done.add(id);
    this.state = { ...this.state, currentBytes: 0, ...change };
    this.beat();
  }
}
