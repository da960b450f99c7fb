// Messages shared by the backup workflow and its clients (CLI): signals, queries, and the
// shapes of input and progress. Types only cross into workflow code; no I/O here.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ItemFailure } from '../activities/download-batch.js';
import type { DestinationSpec } from '../destination.js';
import type { AccountRef } from '../google/account.js';
import type { SearchFilters } from '../google/types.js';
import type { MediaDescriptor } from '../sources/descriptor.js';

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const progressQuery = defineQuery<BackupProgress>('progress');

/** Types of the non-retryable failures activities raise, which the workflow and CLI act on. */
export const FAILURE_TYPES = {
  /** Google's daily quota is used up: the workflow sleeps until it resets. */
  dailyQuota: 'daily-quota',
  /** Bad local configuration (credentials file, account). */
  config: 'config',
  /** The destination refuses us (missing bucket, wrong credentials, no permission, disk full, read-only). */
  destination: 'destination',
  /** A bug in our code (neither classified nor I/O): the batch's items are recorded as failed. */
  bug: 'bug',
  /** A Takeout part that cannot be read (truncated, corrupt, not an archive): it is left out of the import. */
  takeoutArchive: 'takeout-archive',
} as const;

/** Memo keys the workflow keeps up to date for the Web UI (besides those set at start). */
export const MEMO_KEYS = {
  /** One line: counts of stored, skipped and failed items. */
  result: 'result',
  /** Names (or ids) and reasons of the first failed items. */
  failedItems: 'failedItems',
} as const;

export const SEARCH_ATTRIBUTES = {
  account: 'GphotosAccount',
  destination: 'GphotosDestination',
  source: 'GphotosSource',
} as const;

/** The same, as a Temporal server registers them (`--search-attribute NAME=Keyword`). */
export const SEARCH_ATTRIBUTE_TYPES: Record<string, 'Keyword'> = Object.fromEntries(Object.values(SEARCH_ATTRIBUTES).map((name) => [name, 'Keyword']));

export interface BackupOptions {
  /** Download batches in flight at once. */
  readonly concurrency: number;
  /** Write `<file>.json` sidecars. */
  readonly sidecars: boolean;
  /** After listing, how long to keep retrying videos Google is still processing. */
  readonly processingWaitSeconds: number;
  /** Pause between those retries. */
  readonly processingRetrySeconds: number;
  /** When Google's daily quota resets, as HH:MM[:SS] UTC (undocumented; midnight Pacific by default). */
  readonly quotaResetUtc: string;
  /** Extra wait after the presumed reset before trying again. */
  readonly quotaResetMarginSeconds: number;
  /** How soon a silent (killed) worker's downloads are retried elsewhere. */
  readonly heartbeatTimeoutSeconds: number;
  /** Media requests per second for the whole backup, whatever the number of workers (absent: no limit). */
  readonly maxMediaPerSecond?: number;
}

export const DEFAULT_BACKUP_OPTIONS: BackupOptions = {
  concurrency: 4,
  sidecars: false,
  processingWaitSeconds: 15 * 60,
  processingRetrySeconds: 60,
  quotaResetUtc: '08:00',
  quotaResetMarginSeconds: 60,
  heartbeatTimeoutSeconds: 60,
};

export interface BackupCounters {
  readonly listed: number;
  readonly stored: number;
  readonly storedBytes: number;
  readonly skipped: number;
  readonly failed: number;
}

/** What one run hands to the next through continue-as-new. */
export interface BackupCarry {
  readonly pageToken?: string;
  readonly counters: BackupCounters;
  readonly deferred: readonly MediaDescriptor[];
  /** Items to try once more at the end (their tries were spent on transient trouble). */
  readonly retryLater?: readonly MediaDescriptor[];
  readonly recentFailures: readonly ItemFailure[];
  /** ISO time the backup (its first run) started. */
  readonly startedAt: string;
  readonly runs: number;
  /** Paused when the previous run continued as new (absent in runs started before it was carried). */
  readonly paused?: boolean;
  /** Pages listed so far (absent in runs started before it was carried). */
  readonly pages?: number;
}

export interface BackupInput {
  readonly account: AccountRef;
  readonly destination: DestinationSpec;
  /** Search filters (mediaItems.search); absent lists everything (mediaItems.list). */
  readonly filters?: SearchFilters;
  readonly options: BackupOptions;
  readonly carry?: BackupCarry;
}

export type BackupStatus = 'listing' | 'downloading' | 'waiting-for-processing' | 'retrying-failed' | 'sleeping-for-quota' | 'paused' | 'done';

export interface BackupProgress extends BackupCounters {
  readonly status: BackupStatus;
  readonly listingDone: boolean;
  /** Videos still PROCESSING at Google (retried later in the run). */
  readonly deferred: number;
  /** Items whose tries were spent on transient trouble, tried once more at the end of the run. */
  readonly retryLater?: number;
  /** Download batches running now (after a pause, those still finishing). */
  readonly batchesInFlight: number;
  readonly startedAt: string;
  readonly sleepingUntil?: string;
  /** The first items given up in this backup (at most 50; the destination's failures.jsonl has all). */
  readonly recentFailures: readonly ItemFailure[];
  readonly runs: number;
}

export interface BackupSummary extends BackupProgress {
  /** Videos that were still not READY when the run gave up waiting. */
  readonly stillProcessing: readonly MediaDescriptor[];
}
