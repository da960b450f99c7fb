// The state of one run of the backup workflow and the steps it takes: list pages while batches
// download, wait for them, retry videos still PROCESSING, finish. Deterministic only: a cursor,
// counters, deferred videos, flags; every I/O is an activity. (Run state in a small class, as in
// temporalio/samples-typescript's safe-message-handlers.)
import {
  ActivityCancellationType,
  type ActivityOptions,
  CancellationScope,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { DownloadBatchResult, ItemFailure } from '../activities/download-batch.js';
import type { MediaDescriptor } from '../sources/descriptor.js';
import { addBatchResult, bugFailure, msUntilUtc, quotaFailure, resultMemo } from './backup-failures.js';
import type { BackupCarry, BackupCounters, BackupInput, BackupProgress, BackupStatus, BackupSummary } from './messages.js';

/** Failed items kept in the workflow's state (the destination's failures.jsonl has them all). */
const FAILURES_KEPT = 50;
/** Items per batch in the final retry round (a listing page's worth). */
const RETRY_ROUND_BATCH = 100;

/** How download batches run (shared by backup and pick): long, heartbeating, cleaned up when cancelled. */
export function downloadActivityOptions(heartbeatTimeoutSeconds: number): ActivityOptions {
  return {
    startToCloseTimeout: '6 hours',
    heartbeatTimeout: heartbeatTimeoutSeconds * 1000,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 25 },
  };
}

function activitiesFor(input: BackupInput) {
  return {
    downloads: proxyActivities<Activities>(downloadActivityOptions(input.options.heartbeatTimeoutSeconds)),
    housekeeping: proxyActivities<Activities>({
      startToCloseTimeout: '30 minutes',
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 5 },
    }),
    listing: proxyLocalActivities<Activities>({
      startToCloseTimeout: '2 minutes',
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 25 },
    }),
  };
}

export class BackupRun {
  private readonly activities: ReturnType<typeof activitiesFor>;
  private readonly carry: BackupCarry;
  private counters: BackupCounters;
  private deferred: MediaDescriptor[];
  /** Items handed back by their batches after transient trouble: one more round at the end. */
  private retryLater: MediaDescriptor[];
  private recentFailures: ItemFailure[];
  private pageToken: string | undefined;
  private listingDone = false;
  private paused: boolean;
  private phase: BackupStatus = 'listing';
  private sleepingUntil: number | undefined;
  private fatal: Error | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly input: BackupInput) {
    this.activities = activitiesFor(input);
    this.carry = input.carry ?? {
      counters: { listed: 0, stored: 0, storedBytes: 0, skipped: 0, failed: 0 },
      deferred: [],
      recentFailures: [],
      startedAt: new Date().toISOString(),
      runs: 0,
    };
    this.counters = this.carry.counters;
    this.deferred = [...this.carry.deferred];
    this.retryLater = [...(this.carry.retryLater ?? [])];
    this.recentFailures = [...this.carry.recentFailures];
    this.pageToken = this.carry.pageToken;
    this.paused = this.carry.paused ?? false;
  }

  progress(): BackupProgress {
    return {
      ...this.counters,
      status: this.sleepingUntil !== undefined ? 'sleeping-for-quota' : this.paused ? 'paused' : this.phase,
      listingDone: this.listingDone,
      deferred: this.deferred.length,
      ...(this.retryLater.length > 0 ? { retryLater: this.retryLater.length } : {}),
      batchesInFlight: this.inFlight.size,
      startedAt: this.carry.startedAt,
      ...(this.sleepingUntil !== undefined ? { sleepingUntil: new Date(this.sleepingUntil).toISOString() } : {}),
      recentFailures: this.recentFailures,
      runs: this.carry.runs + 1,
    };
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
  }

  /** Lists page after page, a batch started for each, until the library ends (or the run continues as new). */
  async listAll(): Promise<void> {
    const { input } = this;
    while (!this.listingDone) {
      await condition(() => this.fatal !== undefined || (!this.paused && this.inFlight.size < input.options.concurrency));
      this.failFast();
      const token = this.pageToken;
      const page = await this.withQuotaSleep(() =>
        this.activities.listing.listLibraryPage({ account: input.account, ...(token ? { pageToken: token } : {}), ...(input.filters ? { filters: input.filters } : {}) }),
      );
      this.counters = { ...this.counters, listed: this.counters.listed + page.items.length };
      this.pageToken = page.nextPageToken;
      this.listingDone = this.pageToken === undefined;
      if (page.items.length > 0) this.startBatch(page.items);
      if (!this.listingDone && workflowInfo().continueAsNewSuggested) await this.continueAsNew();
    }
    this.phase = 'downloading';
    await this.drain();
  }

  /**
   * Videos Google was still processing: tried again until they are READY or we stop waiting.
   * Short waits first (most uploads finish processing within seconds), then every processingRetrySeconds.
   */
  async retryProcessing(): Promise<void> {
    const { options } = this.input;
    const waitUntil = Date.now() + options.processingWaitSeconds * 1000;
    let delay = Math.min(10_000, options.processingRetrySeconds * 1000);
    while (this.deferred.length > 0 && Date.now() < waitUntil) {
      this.phase = 'waiting-for-processing';
      await sleep(Math.min(delay, Math.max(1000, waitUntil - Date.now())));
      delay = Math.min(delay * 2, options.processingRetrySeconds * 1000);
      await condition(() => !this.paused);
      const retry = this.deferred;
      this.deferred = [];
      this.startBatch(retry);
      await this.drain();
    }
  }

  /**
   * One more round for the items whose tries were spent on transient trouble (as rclone's
   * --retries): a blip that hit one item four times does not leave it failed. What fails again
   * is recorded as failed, and the next run tries it again.
   */
  async retryRound(): Promise<void> {
    if (this.retryLater.length === 0 || !patched('retry-round')) return;
    this.phase = 'retrying-failed';
    const items = this.retryLater;
    this.retryLater = [];
    log.info('trying again the items that failed on transient trouble', { items: items.length });
    for (let start = 0; start < items.length; start += RETRY_ROUND_BATCH) {
      await condition(() => this.fatal !== undefined || (!this.paused && this.inFlight.size < this.input.options.concurrency));
      this.failFast();
      this.startBatch(items.slice(start, start + RETRY_ROUND_BATCH), true);
    }
    await this.drain();
  }

  /** Sweeps what killed workers left, tells the Web UI the result, and sums the run up. */
  async finish(): Promise<BackupSummary> {
    // Temp files of workers killed during the run (their attempts were retried elsewhere).
    await this.activities.housekeeping.sweepDestination(this.input.destination);
    this.phase = 'done';
    if (patched('result-memo')) upsertMemo(resultMemo(this.counters, this.recentFailures));
    log.info('backup finished', { ...this.counters, stillProcessing: this.deferred.length });
    return { ...this.progress(), stillProcessing: this.deferred };
  }

  /** After a cancellation: in-flight downloads abort and clean up their temp files before the run ends. */
  async cleanUpAfterCancel(): Promise<void> {
    await CancellationScope.nonCancellable(async () => {
      await condition(() => this.inFlight.size === 0);
      await this.activities.housekeeping.sweepDestination(this.input.destination);
    });
  }

  private async continueAsNew(): Promise<never> {
    await condition(() => this.inFlight.size === 0);
    this.failFast();
    log.info('continuing as new', { ...this.counters });
    const { counters, deferred, retryLater, recentFailures, pageToken, paused, carry } = this;
    return continueAsNew<(input: BackupInput) => Promise<BackupSummary>>({
      ...this.input,
      carry: { pageToken, counters, deferred, ...(retryLater.length > 0 ? { retryLater } : {}), recentFailures, startedAt: carry.startedAt, runs: carry.runs + 1, paused },
    });
  }

  /** Waits for every batch in flight; a batch that failed the backup fails it here. */
  private async drain(): Promise<void> {
    await condition(() => this.inFlight.size === 0);
    this.failFast();
  }

  private failFast(): void {
    if (this.fatal !== undefined) throw this.fatal;
  }

  /** Runs `call`, sleeping durably through daily-quota exhaustion and trying again. */
  private async withQuotaSleep<T>(call: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await call();
      } catch (error) {
        const quota = quotaFailure(error);
        if (!quota) throw error;
        const { options } = this.input;
        const wait = quota.retryAfterMs ?? msUntilUtc(options.quotaResetUtc, Date.now()) + options.quotaResetMarginSeconds * 1000;
        this.sleepingUntil = Date.now() + wait;
        log.warn('daily quota exhausted; sleeping until it resets', { until: new Date(this.sleepingUntil).toISOString() });
        await sleep(wait);
        this.sleepingUntil = undefined;
      }
    }
  }

  /**
   * Starts a batch in the background; it never rejects (a failure is kept in `fatal`). Items its
   * tries cannot store for transient reasons come back for the final round, unless this is it.
   */
  private startBatch(items: readonly MediaDescriptor[], finalRound = false): void {
    const { input } = this;
    const request = { account: input.account, destination: input.destination, items, sidecars: input.options.sidecars, retryLater: !finalRound, finalRound };
    const run = this.withQuotaSleep(() => this.activities.downloads.downloadBatch(request))
      .then((result) => this.merge(result))
      .catch((error: unknown) => {
        const bug = bugFailure(error);
        if (bug !== undefined) this.giveUpBatch(items, bug);
        else this.fatal ??= error instanceof Error ? error : new Error(String(error));
      })
      .finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  private merge(result: DownloadBatchResult): void {
    this.counters = addBatchResult(this.counters, result);
    this.deferred = [...this.deferred, ...result.deferred];
    this.retryLater = [...this.retryLater, ...(result.retryLater ?? [])];
    this.recentFailures = [...this.recentFailures, ...result.failed].slice(0, FAILURES_KEPT);
  }

  /** A batch that hit a bug in our code: its items count as failed, and the backup goes on. */
  private giveUpBatch(items: readonly MediaDescriptor[], reason: string): void {
    log.error('a download batch failed on an internal error; its items are recorded as failed', { items: items.length, reason });
    this.merge({ stored: 0, storedBytes: 0, skipped: 0, deferred: [], failed: items.map((d) => ({ id: d.id, ...(d.filename ? { filename: d.filename } : {}), reason, attempts: 1 })) });
  }
}
