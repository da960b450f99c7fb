// backup: the durable heart of gphotos-backup. Lists the library page by page (a local activity
// per page: one history event) and keeps several downloadBatch activities in flight while listing
// goes on. Deterministic state only: a page cursor, counters, deferred videos. Sleeps durably when
// Google's daily quota runs out, retries still-PROCESSING videos at the end, continues as new to
// keep each run's history small, and honours pause, resume and cancel.
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { DownloadBatchResult, ItemFailure } from '../activities/download-batch.js';
import type { MediaDescriptor } from '../sources/descriptor.js';
import {
  FAILURE_TYPES,
  MEMO_KEYS,
  pauseSignal,
  progressQuery,
  resumeSignal,
  type BackupCarry,
  type BackupCounters,
  type BackupInput,
  type BackupProgress,
  type BackupStatus,
  type BackupSummary,
} from './messages.js';

/** Failed items kept in the workflow's state (the destination's failures.jsonl has them all). */
const FAILURES_KEPT = 50;
/** ms until the next HH:MM[:SS] UTC after `now`. */
export function msUntilUtc(time: string, now: number): number {
  const [h = 8, m = 0, sec = 0] = time.split(':').map(Number);
  const today = new Date(now);
  let next = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate(), h, m, sec);
  if (next <= now) next += 24 * 60 * 60 * 1000;
  return next - now;
}

/** The message of a batch that failed on a bug in our code (its items are given up, the backup goes on). */
function bugFailure(error: unknown): string | undefined {
  if (!(error instanceof ActivityFailure) || !(error.cause instanceof ApplicationFailure) || error.cause.type !== FAILURE_TYPES.bug) return undefined;
  return error.cause.message;
}

/** What the Web UI's memo shows of a finished run: counts, and which items failed. */
export function resultMemo(counters: BackupCounters, failures: readonly ItemFailure[]): Record<string, unknown> {
  return {
    [MEMO_KEYS.result]: `${counters.stored} stored, ${counters.skipped} already there, ${counters.failed} failed`,
    ...(failures.length > 0 ? { [MEMO_KEYS.failedItems]: failures.slice(0, 10).map((f) => `${f.filename ?? f.id}: ${f.reason}`) } : {}),
  };
}

function quotaFailure(error: unknown): { retryAfterMs?: number } | undefined {
  if (!(error instanceof ActivityFailure) || !(error.cause instanceof ApplicationFailure) || error.cause.type !== FAILURE_TYPES.dailyQuota) return undefined;
  const detail = error.cause.details?.[0] as { retryAfterMs?: number | null } | undefined;
  return typeof detail?.retryAfterMs === 'number' ? { retryAfterMs: detail.retryAfterMs } : {};
}

export async function backup(input: BackupInput): Promise<BackupSummary> {
  const { options } = input;
  const downloads = proxyActivities<Activities>({
    startToCloseTimeout: '6 hours',
    heartbeatTimeout: options.heartbeatTimeoutSeconds * 1000,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 25 },
  });
  const housekeeping = proxyActivities<Activities>({
    startToCloseTimeout: '30 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 5 },
  });
  const listing = proxyLocalActivities<Activities>({
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 25 },
  });

  const carry: BackupCarry = input.carry ?? {
    counters: { listed: 0, stored: 0, storedBytes: 0, skipped: 0, failed: 0 },
    deferred: [],
    recentFailures: [],
    startedAt: new Date().toISOString(),
    runs: 0,
  };
  let counters: BackupCounters = carry.counters;
  let deferred: MediaDescriptor[] = [...carry.deferred];
  let recentFailures: ItemFailure[] = [...carry.recentFailures];
  let pageToken = carry.pageToken;
  let listingDone = false;
  let paused = carry.paused ?? false;
  let phase: BackupStatus = 'listing';
  let sleepingUntil: number | undefined;
  let fatal: Error | undefined;
  const inFlight = new Set<Promise<void>>();

  const progress = (): BackupProgress => ({
    ...counters,
    status: sleepingUntil !== undefined ? 'sleeping-for-quota' : paused ? 'paused' : phase,
    listingDone,
    deferred: deferred.length,
    batchesInFlight: inFlight.size,
    startedAt: carry.startedAt,
    ...(sleepingUntil !== undefined ? { sleepingUntil: new Date(sleepingUntil).toISOString() } : {}),
    recentFailures,
    runs: carry.runs + 1,
  });
  setHandler(progressQuery, progress);
  setHandler(pauseSignal, () => {
    paused = true;
  });
  setHandler(resumeSignal, () => {
    paused = false;
  });

  /** Runs `call`, sleeping durably through daily-quota exhaustion and trying again. */
  async function withQuotaSleep<T>(call: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await call();
      } catch (error) {
        const quota = quotaFailure(error);
        if (!quota) throw error;
        const wait = quota.retryAfterMs ?? msUntilUtc(options.quotaResetUtc, Date.now()) + options.quotaResetMarginSeconds * 1000;
        sleepingUntil = Date.now() + wait;
        log.warn('daily quota exhausted; sleeping until it resets', { until: new Date(sleepingUntil).toISOString() });
        await sleep(wait);
        sleepingUntil = undefined;
      }
    }
  }

  function merge(result: DownloadBatchResult): void {
    counters = {
      ...counters,
      stored: counters.stored + result.stored,
      storedBytes: counters.storedBytes + result.storedBytes,
      skipped: counters.skipped + result.skipped,
      failed: counters.failed + result.failed.length,
    };
    deferred = [...deferred, ...result.deferred];
    recentFailures = [...recentFailures, ...result.failed].slice(0, FAILURES_KEPT);
  }

  /** A batch that hit a bug in our code: its items count as failed, and the backup goes on. */
  function giveUpBatch(items: readonly MediaDescriptor[], reason: string): void {
    log.error('a download batch failed on an internal error; its items are recorded as failed', { items: items.length, reason });
    merge({ stored: 0, storedBytes: 0, skipped: 0, deferred: [], failed: items.map((d) => ({ id: d.id, ...(d.filename ? { filename: d.filename } : {}), reason, attempts: 1 })) });
  }

  /** Starts a batch in the background; it never rejects (a failure is kept in `fatal`). */
  function startBatch(items: readonly MediaDescriptor[]): void {
    const run = withQuotaSleep(() => downloads.downloadBatch({ account: input.account, destination: input.destination, items, sidecars: options.sidecars }))
      .then(merge)
      .catch((error: unknown) => {
        const bug = bugFailure(error);
        if (bug !== undefined) giveUpBatch(items, bug);
        else fatal ??= error instanceof Error ? error : new Error(String(error));
      })
      .finally(() => inFlight.delete(run));
    inFlight.add(run);
  }

  const failFast = () => {
    if (fatal !== undefined) throw fatal;
  };

  try {
    while (!listingDone) {
      await condition(() => fatal !== undefined || (!paused && inFlight.size < options.concurrency));
      failFast();
      const token = pageToken;
      const page = await withQuotaSleep(() => listing.listLibraryPage({ account: input.account, ...(token ? { pageToken: token } : {}), ...(input.filters ? { filters: input.filters } : {}) }));
      counters = { ...counters, listed: counters.listed + page.items.length };
      pageToken = page.nextPageToken;
      listingDone = pageToken === undefined;
      if (page.items.length > 0) startBatch(page.items);
      if (!listingDone && workflowInfo().continueAsNewSuggested) {
        await condition(() => inFlight.size === 0);
        failFast();
        log.info('continuing as new', { ...counters });
        await continueAsNew<typeof backup>({ ...input, carry: { pageToken, counters, deferred, recentFailures, startedAt: carry.startedAt, runs: carry.runs + 1, paused } });
      }
    }
    phase = 'downloading';
    await condition(() => inFlight.size === 0);
    failFast();

    // Videos Google was still processing: try again until they are READY or we stop waiting.
    // Short waits first (most uploads finish processing within seconds), then every
    // processingRetrySeconds.
    const waitUntil = Date.now() + options.processingWaitSeconds * 1000;
    let delay = Math.min(10_000, options.processingRetrySeconds * 1000);
    while (deferred.length > 0 && Date.now() < waitUntil) {
      phase = 'waiting-for-processing';
      await sleep(Math.min(delay, Math.max(1000, waitUntil - Date.now())));
      delay = Math.min(delay * 2, options.processingRetrySeconds * 1000);
      await condition(() => !paused);
      const retry = deferred;
      deferred = [];
      startBatch(retry);
      await condition(() => inFlight.size === 0);
      failFast();
    }
  } catch (error) {
    if (isCancellation(error)) {
      // Let in-flight downloads abort and clean up their temp files before the run ends.
      await CancellationScope.nonCancellable(async () => {
        await condition(() => inFlight.size === 0);
        await housekeeping.sweepDestination(input.destination);
      });
    }
    throw error;
  }
  // Temp files of workers killed during the run (their attempts were retried elsewhere).
  await housekeeping.sweepDestination(input.destination);
  phase = 'done';
  if (patched('result-memo')) upsertMemo(resultMemo(counters, recentFailures));
  const summary: BackupSummary = { ...progress(), stillProcessing: deferred };
  log.info('backup finished', { ...counters, stillProcessing: deferred.length });
  return summary;
}
