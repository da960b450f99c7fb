// Messages of the importTakeout workflow and its clients (CLI): input, progress query, result.
// Types only cross into workflow code; no I/O here.
import { defineQuery } from '@temporalio/workflow';
import type { ItemFailure } from '../activities/batch-progress.js';
import type { DestinationSpec } from '../destination.js';
import type { BackupCounters } from './messages.js';

export const takeoutProgressQuery = defineQuery<TakeoutProgress>('takeoutProgress');

export interface TakeoutOptions {
  /** Import what Takeout put in the Trash folder too (default: left out). */
  readonly includeTrash: boolean;
  /** Import the "Failed Videos" folder too (default: left out). */
  readonly includeFailedVideos: boolean;
  /** Parts scanned or imported at once. */
  readonly concurrency: number;
  /** How soon a silent (killed) worker's part is retried elsewhere. */
  readonly heartbeatTimeoutSeconds: number;
}

export const DEFAULT_TAKEOUT_OPTIONS: TakeoutOptions = {
  includeTrash: false,
  includeFailedVideos: false,
  concurrency: 2,
  heartbeatTimeoutSeconds: 60,
};

export interface TakeoutInput {
  readonly destination: DestinationSpec;
  /** Absolute paths of the parts (zip, tgz, or extracted folders), as the workers see them. */
  readonly parts: readonly string[];
  readonly options: TakeoutOptions;
}

export type TakeoutStatus = 'scanning' | 'planning' | 'importing' | 'finishing' | 'done';

/** A part that could not be read: it is left out, the others are imported. */
export interface PartProblem {
  readonly part: string;
  readonly reason: string;
}

export interface TakeoutProgress extends BackupCounters {
  readonly status: TakeoutStatus;
  readonly parts: number;
  readonly partsScanned: number;
  readonly partsImported: number;
  readonly partProblems: readonly PartProblem[];
  /** Media files with no JSON sidecar (stored anyway), and the first of their names. */
  readonly unmatched: number;
  readonly unmatchedSample: readonly string[];
  /** JSON sidecars that describe no media file of the parts imported (its photo may be in a part not imported yet). */
  readonly unusedSidecars: number;
  /** Paired JSON sidecars that do not read as JSON (kept as they are; their items dated by the file), and the first of their paths. */
  readonly unreadableSidecars?: number;
  readonly unreadableSample?: readonly string[];
  /** Copies found in a second folder (album folders): the item is stored once. */
  readonly duplicates: number;
  /** Media left out (Trash, Failed Videos). */
  readonly leftOut: number;
  readonly albums: number;
  readonly recentFailures: readonly ItemFailure[];
}

export type TakeoutSummary = TakeoutProgress;
