// Messages of the pick workflow and its clients (CLI): the progress query, input and result.
// Types only cross into workflow code; no I/O here.
import { defineQuery } from '@temporalio/workflow';
import type { ItemFailure } from '../activities/download-batch.js';
import type { DestinationSpec } from '../destination.js';
import type { AccountRef } from '../google/account.js';
import type { CreatedPickerSession } from '../activities/picker-sessions.js';
import type { BackupCounters } from './messages.js';

export const pickProgressQuery = defineQuery<PickProgress>('pickProgress');

export interface PickOptions {
  /** Download batches in flight at once. */
  readonly concurrency: number;
  /** Write `<file>.json` sidecars. */
  readonly sidecars: boolean;
  /** How soon a silent (killed) worker's downloads are retried elsewhere. */
  readonly heartbeatTimeoutSeconds: number;
  /**
   * Picker sessions to open one after the other (each up to 2,000 items), a round each; 0: until
   * a session expires or ends with nothing picked. Absent in picks started before rounds: 1.
   */
  readonly sessions?: number;
  /** After the picked items, how long to keep retrying videos Google is still processing. */
  readonly processingWaitSeconds?: number;
  /** Pause between those retries. */
  readonly processingRetrySeconds?: number;
  /** When Google's daily quota resets, as HH:MM[:SS] UTC. */
  readonly quotaResetUtc?: string;
  /** Extra wait after the presumed reset before trying again. */
  readonly quotaResetMarginSeconds?: number;
  /** Media requests per second for the whole pick, whatever the number of workers (absent: no limit). */
  readonly maxMediaPerSecond?: number;
}

export const DEFAULT_PICK_OPTIONS = {
  concurrency: 4,
  sidecars: false,
  heartbeatTimeoutSeconds: 60,
  sessions: 1,
  processingWaitSeconds: 15 * 60,
  processingRetrySeconds: 60,
  quotaResetUtc: '08:00',
  quotaResetMarginSeconds: 60,
} as const satisfies Required<Omit<PickOptions, 'maxMediaPerSecond'>>;

/** The options with their defaults filled in. */
export type ResolvedPickOptions = Required<Omit<PickOptions, 'maxMediaPerSecond'>> & Pick<PickOptions, 'maxMediaPerSecond'>;

/** What one run of a pick hands to the next through continue-as-new. */
export interface PickCarry {
  readonly counters: BackupCounters;
  readonly recentFailures: readonly ItemFailure[];
  readonly startedAt: string;
  /** Rounds (sessions) finished, and those of them in which something was picked. */
  readonly roundsDone: number;
  readonly roundsPicked: number;
  readonly polls: number;
  readonly stillProcessing: number;
  /** The round's session while the person is still picking (the run continued as new while waiting). */
  readonly session?: CreatedPickerSession;
}

export interface PickInput {
  readonly account: AccountRef;
  readonly destination: DestinationSpec;
  readonly options: PickOptions;
  readonly carry?: PickCarry;
}

export type PickStatus =
  | 'creating-session'
  | 'waiting-for-pick'
  | 'downloading'
  | 'waiting-for-processing'
  | 'retrying-failed'
  | 'sleeping-for-quota'
  | 'done'
  | 'expired'
  | 'nothing-picked';

/**
 * How a round (one session) ended: `picked` and stored; `expired` before anything was picked
 * (or Google no longer knew the session); `nothing-picked`: the person finished with no items.
 */
export type RoundOutcome = 'picked' | 'expired' | 'nothing-picked';

export interface PickProgress extends BackupCounters {
  readonly status: PickStatus;
  /** The link the person opens to pick (absent until the session exists). */
  readonly pickerUri?: string;
  readonly sessionId?: string;
  /** When the session expires if nothing is picked (ISO time, as Google gave it). */
  readonly expireTime?: string;
  /** sessions.get calls so far. */
  readonly polls: number;
  /** The round under way (1 for the first session) and the rounds planned (0: until the person stops). */
  readonly round?: number;
  readonly rounds?: number;
  /** Until when the run sleeps through Google's daily quota. */
  readonly sleepingUntil?: string;
  /** Videos Google was still processing (not fetched by this version: run `pick` again later). */
  readonly stillProcessing: number;
  /** The first items given up (at most 50; the destination's failures.jsonl has all). */
  readonly recentFailures: readonly ItemFailure[];
}

export interface PickSummary extends PickProgress {
  /** `picked`: something was picked (in some round) and downloaded; otherwise how the only round ended. */
  readonly outcome: RoundOutcome;
  /** Rounds in which something was picked. */
  readonly roundsPicked?: number;
}
