// Messages of the pick workflow and its clients (CLI): the progress query, input and result.
// Types only cross into workflow code; no I/O here.
import { defineQuery } from '@temporalio/workflow';
import type { ItemFailure } from '../activities/download-batch.js';
import type { DestinationSpec } from '../destination.js';
import type { AccountRef } from '../google/account.js';
import type { BackupCounters } from './messages.js';

export const pickProgressQuery = defineQuery<PickProgress>('pickProgress');

export interface PickOptions {
  /** Download batches in flight at once. */
  readonly concurrency: number;
  /** Write `<file>.json` sidecars. */
  readonly sidecars: boolean;
  /** How soon a silent (killed) worker's downloads are retried elsewhere. */
  readonly heartbeatTimeoutSeconds: number;
}

export const DEFAULT_PICK_OPTIONS: PickOptions = { concurrency: 4, sidecars: false, heartbeatTimeoutSeconds: 60 };

export interface PickInput {
  readonly account: AccountRef;
  readonly destination: DestinationSpec;
  readonly options: PickOptions;
}

export type PickStatus = 'creating-session' | 'waiting-for-pick' | 'downloading' | 'done' | 'expired';

export interface PickProgress extends BackupCounters {
  readonly status: PickStatus;
  /** The link the person opens to pick (absent until the session exists). */
  readonly pickerUri?: string;
  readonly sessionId?: string;
  /** When the session expires if nothing is picked (ISO time, as Google gave it). */
  readonly expireTime?: string;
  /** sessions.get calls so far. */
  readonly polls: number;
  /** Videos Google was still processing (not fetched by this version: run `pick` again later). */
  readonly stillProcessing: number;
  /** The first items given up (at most 50; the destination's failures.jsonl has all). */
  readonly recentFailures: readonly ItemFailure[];
}

export interface PickSummary extends PickProgress {
  /** `picked`: the person picked and the items were downloaded; `expired`: nothing was picked in time. */
  readonly outcome: 'picked' | 'expired';
}
