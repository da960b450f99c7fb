// How the backup workflow reads the failures of its activities, and what it tells of its own:
// pure functions over failure types and counters, no commands.
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { ItemFailure } from '../activities/download-batch.js';
import { FAILURE_TYPES, MEMO_KEYS, type BackupCounters } from './messages.js';

/** ms until the next HH:MM[:SS] UTC after `now`. */
export function msUntilUtc(time: string, now: number): number {
  const [h = 8, m = 0, sec = 0] = time.split(':').map(Number);
  const today = new Date(now);
  let next = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate(), h, m, sec);
  if (next <= now) next += 24 * 60 * 60 * 1000;
  return next - now;
}

function failureOfType(error: unknown, type: string): ApplicationFailure | undefined {
  if (!(error instanceof ActivityFailure) || !(error.cause instanceof ApplicationFailure) || error.cause.type !== type) return undefined;
  return error.cause;
}

/** The message of a batch that failed on a bug in our code (its items are given up, the backup goes on). */
export function bugFailure(error: unknown): string | undefined {
  return failureOfType(error, FAILURE_TYPES.bug)?.message;
}

/** Google's daily quota ran out: with the wait Google asked for, when it said. */
export function quotaFailure(error: unknown): { retryAfterMs?: number } | undefined {
  const failure = failureOfType(error, FAILURE_TYPES.dailyQuota);
  if (!failure) return undefined;
  const detail = failure.details?.[0] as { retryAfterMs?: number | null } | undefined;
  return typeof detail?.retryAfterMs === 'number' ? { retryAfterMs: detail.retryAfterMs } : {};
}

/** What the Web UI's memo shows of a finished run: counts, and which items failed. */
export function resultMemo(counters: BackupCounters, failures: readonly ItemFailure[]): Record<string, unknown> {
  return {
    [MEMO_KEYS.result]: `${counters.stored} stored, ${counters.skipped} already there, ${counters.failed} failed`,
    ...(failures.length > 0 ? { [MEMO_KEYS.failedItems]: failures.slice(0, 10).map((f) => `${f.filename ?? f.id}: ${f.reason}`) } : {}),
  };
}
