// The state of one run of the backup workflow and the steps it takes: list pages while batches
// download, wait for them, retry videos still PROCESSING, finish. Deterministic only: a cursor,
// counters, deferred videos, flags; every I/O is an activity. (Run state in a small class, as in
// temporalio/samples-typescript's safe-message-handlers.)
import {
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
import type { MediaDescriptor } from '../sources/descriptor.js';
import { msUntilUtc, quotaFailure, resultMemo } from './backup-failures.js';
import { downloadActivityOptions, DownloadBatches } from './batches.js';
import type { BackupCarry, BackupInput, BackupProgress, BackupStatus, BackupSummary } from './messages.js';
/** Items per batch in the final retry round (a listing page's worth). */
const RETRY_ROUND_BATCH = 100;

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
  private readonly batches: DownloadBatches;
  private pageToken: string | undefined;
  private listingDone = false;
  private paused: boolean;
  private phase: BackupStatus = 'listing';
  private sleepingUntil: number | undefined;

  constructor(private readonly input: BackupInput) {
    this.activities = activitiesFor(input);
    this.carry = input.carry ?? {
      counters: { listed: 0, stored: 0, storedBytes: 0, skipped: 0, failed: 0 },
      deferred: [],
      recentFailures: [],
      startedAt: new Date().toISOString(),
      runs: 0,
    };
    this.batches = new DownloadBatches(this.carry);
    this.pageToken = this.carry.pageToken;
    this.paused = this.carry.paused ?? false;
  }

  progress(): BackupProgress {
    const { counters, deferred, retryLater, recentFailures, running } = this.batches;
    return {
      ...counters,
      status: this.sleepingUntil !== undefined ? 'sleeping-for-quota' : this.paused ? 'paused' : this.phase,
      listingDone: this.listingDone,
      deferred: deferred.length,
      ...(retryLater.length > 0 ? { retryLater: retryLater.length } : {}),
      batchesInFlight: running,
      startedAt: this.carry.startedAt,
      ...(this.sleepingUntil !== undefined ? { sleepingUntil: new Date(this.sleepingUntil).toISOString() } : {}),
      recentFailures,
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
      await this.batches.room(input.options.concurrency, () => this.paused);
      const token = this.pageToken;
      const page = await this.withQuotaSleep(() =>
        this.activities.listing.listLibraryPage({ account: input.account, ...(token ? { pageToken: token } : {}), ...(input.filters ? { filters: input.filters } : {}) }),
      );
      this.batches.listed(page.items.length);
      this.pageToken = page.nextPageToken;
      this.listingDone = this.pageToken === undefined;
      if (page.items.length > 0) this.startBatch(page.items);
      if (!this.listingDone && workflowInfo().continueAsNewSuggested) await this.continueAsNew();
    }
    this.phase = 'downloading';
    await this.batches.drain();
  }

  /**
   * Videos Google was still processing: tried again until they are READY or we stop waiting.
   * Short waits first (most uploads finish processing within seconds), then every processingRetrySeconds.
   */
  async retryProcessing(): Promise<void> {
    const { options } = this.input;
    const waitUntil = Date.now() + options.processingWaitSeconds * 1000;
    let delay = Math.min(10_000, options.processingRetrySeconds * 1000);
    while (this.batches.deferred.length > 0 && Date.now() < waitUntil) {
      this.phase = 'waiting-for-processing';
      await sleep(Math.min(delay, Math.max(1000, waitUntil - Date.now())));
      delay = Math.min(delay * 2, options.processingRetrySeconds * 1000);
      await condition(() => !this.paused);
      const retry = this.batches.deferred;
      this.batches.deferred = [];
      this.startBatch(retry);
      await this.batches.drain();
    }
  }

  /**
   * One more round for the items whose tries were spent on transient trouble (as rclone's
   * --retries): a blip that hit one item four times does not leave it failed. What fails again
   * is recorded as failed, and the next run tries it again.
   */
  async retryRound(): Promise<void> {
    if (this.batches.retryLater.length === 0 || !patched('retry-round')) return;
    this.phase = 'retrying-failed';
    const items = this.batches.retryLater;
    this.batches.retryLater = [];
    log.info('trying again the items that failed on transient trouble', { items: items.length });
    for (let start = 0; start < items.length; start += RETRY_ROUND_BATCH) {
      await this.batches.room(this.input.options.concurrency, () => this.paused);
      this.startBatch(items.slice(start, start + RETRY_ROUND_BATCH), true);
    }
    await this.batches.drain();
  }

  /** Sweeps what killed workers left, tells the Web UI the result, and sums the run up. */
  async finish(): Promise<BackupSummary> {
    // Temp files of workers killed during the run (their attempts were retried elsewhere).
    await this.activities.housekeeping.sweepDestination(this.input.destination);
    this.phase = 'done';
    const { counters, recentFailures, deferred } = this.batches;
    if (patched('result-memo')) upsertMemo(resultMemo(counters, recentFailures));
    log.info('backup finished', { ...counters, stillProcessing: deferred.length });
    return { ...this.progress(), stillProcessing: deferred };
  }

  /** After a cancellation: in-flight downloads abort and clean up their temp files before the run ends. */
  async cleanUpAfterCancel(): Promise<void> {
    await CancellationScope.nonCancellable(async () => {
      await this.batches.idle();
      await this.activities.housekeeping.sweepDestination(this.input.destination);
    });
  }

  private async continueAsNew(): Promise<never> {
    await this.batches.drain();
    const { counters, deferred, retryLater, recentFailures } = this.batches;
    log.info('continuing as new', { ...counters });
    const { pageToken, paused, carry } = this;
    return continueAsNew<(input: BackupInput) => Promise<BackupSummary>>({
      ...this.input,
      carry: { pageToken, counters, deferred, ...(retryLater.length > 0 ? { retryLater } : {}), recentFailures, startedAt: carry.startedAt, runs: carry.runs + 1, paused },
    });
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
   * Starts a batch in the background. Items its tries cannot store for transient reasons come
   * back for the final round, unless this is it.
   */
  private startBatch(items: readonly MediaDescriptor[], finalRound = false): void {
    const { input } = this;
    const request = { account: input.account, destination: input.destination, items, sidecars: input.options.sidecars, retryLater: !finalRound, finalRound };
    this.batches.start(items, () => this.withQuotaSleep(() => this.activities.downloads.downloadBatch(request)));
  }
}
