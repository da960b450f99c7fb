// The download batches of one workflow run (backup or pick): which are in flight, what they have
// stored, skipped and given up, the videos still PROCESSING and the items handed back for the
// final round. A batch never rejects: a bug in our code gives its items up, any other failure is
// kept and rethrown where the run next waits. No commands of its own: the caller's activity
// call is the only one.
import { ActivityCancellationType, condition, log, type ActivityOptions } from '@temporalio/workflow';
import type { DownloadBatchResult, ItemFailure } from '../activities/download-batch.js';
import type { MediaDescriptor } from '../sources/descriptor.js';
import { bugFailure } from './backup-failures.js';
import type { BackupCounters } from './messages.js';

/** Failed items kept in the workflow's state (the destination's failures.jsonl has them all). */
const FAILURES_KEPT = 50;

/** How download batches run (shared by backup and pick): long, heartbeating, cleaned up when cancelled. */
export function downloadActivityOptions(heartbeatTimeoutSeconds: number): ActivityOptions {
  return {
    startToCloseTimeout: '6 hours',
    heartbeatTimeout: heartbeatTimeoutSeconds * 1000,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 25 },
  };
}

export interface BatchTally {
  readonly counters: BackupCounters;
  readonly deferred?: readonly MediaDescriptor[];
  readonly retryLater?: readonly MediaDescriptor[];
  readonly recentFailures?: readonly ItemFailure[];
}

export class DownloadBatches {
  counters: BackupCounters;
  /** Videos Google was still processing. */
  deferred: MediaDescriptor[];
  /** Items handed back after transient trouble: one more round at the end. */
  retryLater: MediaDescriptor[];
  recentFailures: ItemFailure[];
  private fatal: Error | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  /** `changed`: called whenever the counts change (the run refreshes what the Web UI shows). */
  constructor(
    start: BatchTally,
    private readonly changed: () => void = () => undefined,
  ) {
    this.counters = start.counters;
    this.deferred = [...(start.deferred ?? [])];
    this.retryLater = [...(start.retryLater ?? [])];
    this.recentFailures = [...(start.recentFailures ?? [])];
  }

  get running(): number {
    return this.inFlight.size;
  }

  /** Runs `call` for `items` in the background and adds up its result. */
  start(items: readonly MediaDescriptor[], call: () => Promise<DownloadBatchResult>): void {
    const run = call()
      .then((result) => this.merge(result))
      .catch((error: unknown) => {
        const bug = bugFailure(error);
        if (bug !== undefined) this.giveUp(items, bug);
        else this.fatal ??= error instanceof Error ? error : new Error(String(error));
      })
      .finally(() => {
        this.inFlight.delete(run);
        this.changed();
      });
    this.inFlight.add(run);
    this.changed();
  }

  /** Waits for room for one more batch (and, with `paused`, for a resume); a failed batch fails here. */
  async room(concurrency: number, paused: () => boolean = () => false): Promise<void> {
    await condition(() => this.fatal !== undefined || (!paused() && this.inFlight.size < concurrency));
    this.failFast();
  }

  /** Waits for every batch in flight; a batch that failed the run fails it here. */
  async drain(): Promise<void> {
    await this.idle();
    this.failFast();
  }

  /** Waits for every batch in flight, whatever happened to them (cancellation, clean-up). */
  async idle(): Promise<void> {
    await condition(() => this.inFlight.size === 0);
  }

  failFast(): void {
    if (this.fatal !== undefined) throw this.fatal;
  }

  /** Counts a listed page: `known` of its items the destination held already (the listing left them out). */
  listed(count: number, known = 0): void {
    this.counters = { ...this.counters, listed: this.counters.listed + count + known, skipped: this.counters.skipped + known };
    this.changed();
  }

  private merge(result: DownloadBatchResult): void {
    const c = this.counters;
    this.counters = { ...c, stored: c.stored + result.stored, storedBytes: c.storedBytes + result.storedBytes, skipped: c.skipped + result.skipped, failed: c.failed + result.failed.length };
    this.deferred = [...this.deferred, ...result.deferred];
    this.retryLater = [...this.retryLater, ...(result.retryLater ?? [])];
    this.recentFailures = [...this.recentFailures, ...result.failed].slice(0, FAILURES_KEPT);
  }

  /** A batch that hit a bug in our code: its items count as failed, and the run goes on. */
  private giveUp(items: readonly MediaDescriptor[], reason: string): void {
    log.error('a download batch failed on an internal error; its items are recorded as failed', { items: items.length, reason });
    this.merge({ stored: 0, storedBytes: 0, skipped: 0, deferred: [], failed: items.map((d) => ({ id: d.id, ...(d.filename ? { filename: d.filename } : {}), reason, attempts: 1 })) });
  }
}

/**
 * The interval each of `batches` batches keeps between its requests so that all of them together
 * send at most `perSecond` requests in any one second (a batch sends one at a time).
 */
export function batchInterval(perSecond: number, batches: number): number {
  if (perSecond <= 0) return 0;
  const share = Math.floor(perSecond / batches);
  if (share < 1) throw new RangeError(`a rate of ${perSecond}/s cannot be shared by ${batches} batches; run at most ${Math.floor(perSecond)} at once`);
  // One request per `interval` gives at most `share` in any window of one second.
  return Math.ceil(1000 / share) + 1;
}

/** Batches a run keeps in flight: its concurrency, but never more than the rate can share. */
export function batchesInFlight(concurrency: number, maxMediaPerSecond: number | undefined): number {
  return maxMediaPerSecond ? Math.max(1, Math.min(concurrency, Math.floor(maxMediaPerSecond))) : concurrency;
}

/** What a download batch is told about its share of the run's media rate. */
export function paceOf(concurrency: number, maxMediaPerSecond: number | undefined): { mediaIntervalMs?: number } {
  return maxMediaPerSecond ? { mediaIntervalMs: batchInterval(maxMediaPerSecond, batchesInFlight(concurrency, maxMediaPerSecond)) } : {};
}
