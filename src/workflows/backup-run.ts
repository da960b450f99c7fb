// The state of one run of the backup workflow and the steps it takes: list pages while batches
// download, wait for them, retry videos still PROCESSING, finish. Deterministic only: a cursor,
// counters, deferred videos, flags; every I/O is an activity. (Run state in a small class, as in
// temporalio/samples-typescript's safe-message-handlers.)
import { CancellationScope, continueAsNew, log, patched, proxyActivities, proxyLocalActivities, setCurrentDetails, upsertMemo, workflowInfo } from '@temporalio/workflow';
import { backupDetails, batchSummary } from './details.js';
import type { Activities } from '../activities/index.js';
import type { MediaDescriptor } from '../sources/descriptor.js';
import { resultMemo } from './backup-failures.js';
import { batchesInFlight, downloadActivityOptions, DownloadBatches, paceOf } from './batches.js';
import { finalRound, QuotaSleep, retryProcessing, type StepHost } from './run-steps.js';
import type { BackupCarry, BackupInput, BackupProgress, BackupStatus, BackupSummary } from './messages.js';

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

export class BackupRun implements StepHost {
  private readonly activities: ReturnType<typeof activitiesFor>;
  private readonly carry: BackupCarry;
  readonly batches: DownloadBatches;
  private pageToken: string | undefined;
  private listingDone = false;
  private isPaused: boolean;
  private phase: BackupStatus = 'listing';
  private readonly quota: QuotaSleep;
  /** Pages listed so far in this backup (for the summaries the Web UI shows). */
  private pages: number;

  constructor(private readonly input: BackupInput) {
    this.activities = activitiesFor(input);
    this.carry = input.carry ?? {
      counters: { listed: 0, stored: 0, storedBytes: 0, skipped: 0, failed: 0 },
      deferred: [],
      recentFailures: [],
      startedAt: new Date().toISOString(),
      runs: 0,
    };
    this.batches = new DownloadBatches(this.carry, () => this.show());
    this.pageToken = this.carry.pageToken;
    this.pages = this.carry.pages ?? 0;
    this.isPaused = this.carry.paused ?? false;
    this.quota = new QuotaSleep(input.options, () => this.show());
  }

  /** Keeps the Web UI's current details in step with the run. */
  show(): void {
    setCurrentDetails(backupDetails(this.progress(), Date.now()));
  }

  progress(): BackupProgress {
    const { counters, deferred, retryLater, recentFailures, running } = this.batches;
    return {
      ...counters,
      status: this.quota.until !== undefined ? 'sleeping-for-quota' : this.isPaused ? 'paused' : this.phase,
      listingDone: this.listingDone,
      deferred: deferred.length,
      ...(retryLater.length > 0 ? { retryLater: retryLater.length } : {}),
      batchesInFlight: running,
      startedAt: this.carry.startedAt,
      ...(this.quota.until !== undefined ? { sleepingUntil: new Date(this.quota.until).toISOString() } : {}),
      recentFailures,
      runs: this.carry.runs + 1,
    };
  }

  setPaused(paused: boolean): void {
    this.isPaused = paused;
    this.show();
  }

  /** Lists page after page, a batch started for each, until the library ends (or the run continues as new). */
  async listAll(): Promise<void> {
    const { input } = this;
    while (!this.listingDone) {
      await this.batches.room(this.concurrency, () => this.isPaused);
      const token = this.pageToken;
      const pageNo = (this.pages += 1);
      // The listing leaves out what the destination holds already: a re-run starts no batch for it.
      const listing = { account: input.account, destination: input.destination, ...(token ? { pageToken: token } : {}), ...(input.filters ? { filters: input.filters } : {}) };
      const page = await this.quota.run(() => this.activities.listing.listLibraryPage.executeWithOptions({ summary: `list page ${pageNo}` }, [listing]));
      this.batches.listed(page.items.length, page.known);
      this.pageToken = page.nextPageToken;
      this.listingDone = this.pageToken === undefined;
      if (page.items.length > 0) this.startBatch(page.items, false, `page ${pageNo}`);
      if (!this.listingDone && workflowInfo().continueAsNewSuggested) await this.continueAsNew();
    }
    this.enter('downloading');
    await this.batches.drain();
  }

  /** Videos Google was still processing: tried again until they are READY or the run stops waiting. */
  async retryProcessing(): Promise<void> {
    await retryProcessing(this, this.input.options);
  }

  /** One final round for the items whose tries went to transient trouble. */
  async retryRound(): Promise<void> {
    if (this.batches.retryLater.length === 0 || !patched('retry-round')) return;
    await finalRound(this);
  }

  get concurrency(): number {
    return batchesInFlight(this.input.options.concurrency, this.input.options.maxMediaPerSecond);
  }

  paused(): boolean {
    return this.isPaused;
  }

  enter(phase: BackupStatus): void {
    this.phase = phase;
    this.show();
  }

  /** Sweeps what killed workers left, tells the Web UI the result, and sums the run up. */
  async finish(): Promise<BackupSummary> {
    // Temp files of workers killed during the run (their attempts were retried elsewhere).
    await this.activities.housekeeping.sweepDestination.executeWithOptions({ summary: 'clear away temp files of stopped workers' }, [this.input.destination]);
    this.enter('done');
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
    const { pageToken, carry } = this;
    const paused = this.isPaused;
    return continueAsNew<(input: BackupInput) => Promise<BackupSummary>>({
      ...this.input,
      carry: { pageToken, counters, deferred, ...(retryLater.length > 0 ? { retryLater } : {}), recentFailures, startedAt: carry.startedAt, runs: carry.runs + 1, paused, pages: this.pages },
    });
  }

  /**
   * Starts a batch in the background. Items its tries cannot store for transient reasons come
   * back for the final round, unless this is it.
   */
  startBatch(items: readonly MediaDescriptor[], finalRound = false, what = 'download'): void {
    const { input } = this;
    const pace = paceOf(input.options.concurrency, input.options.maxMediaPerSecond);
    const request = { account: input.account, destination: input.destination, items, sidecars: input.options.sidecars, retryLater: !finalRound, finalRound, ...pace };
    const summary = batchSummary(items.length, what);
    this.batches.start(items, () => this.quota.run(() => this.activities.downloads.downloadBatch.executeWithOptions({ summary }, [request])));
  }
}
