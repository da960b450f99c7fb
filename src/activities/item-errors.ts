// What to do when storing one item fails. Errors were classified where they arose (Google's
// answers in src/google, the destination's in src/sinks); here they become one of three moves:
// try the item again, give the item up for this run (recorded, reported, tried again next run),
// or stop the batch (the destination refuses us, the sign-in is gone, the daily quota is used up,
// a long rate limit: Temporal's retry or the workflow's quota sleep takes over).
// A bug in our own code is not an I/O error: it gives the item up at once, never a retry storm.
import { GooglePhotosError } from '../google/errors.js';
import { DestinationError, isS3Error, judgeS3Error, s3DestinationError } from '../sinks/errors.js';

/** Tries per item inside one activity attempt. */
export const ITEM_ATTEMPTS = 4;
/** Longer waits (e.g. a 429 asking for minutes) are left to Temporal's retry. */
const MAX_IN_ACTIVITY_WAIT_MS = 60_000;

export type ItemVerdict =
  /** Transient: try this item again after `waitMs` (with a fresh URL when `refreshUrl`). */
  | { readonly action: 'retry'; readonly waitMs: number; readonly refreshUrl: boolean }
  /**
   * Give the item up for this run. `transient` failures may also mean the service is down for
   * everyone (see the batch's outage check); `bug` ones carry a stack for the worker log.
   */
  | { readonly action: 'give-up'; readonly reason: string; readonly transient: boolean; readonly bug: boolean }
  /** Stop the batch with this (classified) error. */
  | { readonly action: 'stop'; readonly error: unknown };

const NETWORK_CODES = /^(E[A-Z0-9_]+|UND_ERR_[A-Z_]+|ERR_STREAM_PREMATURE_CLOSE)$/;

/** An error from the network or the OS rather than from our own logic. */
export function isIoError(error: unknown): boolean {
  if (error instanceof GooglePhotosError || error instanceof DestinationError || isS3Error(error)) return true;
  const e = error as { code?: unknown; name?: unknown; cause?: unknown } | null;
  if (typeof e?.code === 'string' && NETWORK_CODES.test(e.code)) return true;
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return true;
  return e?.cause !== undefined && e.cause !== error && isIoError(e.cause);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function backoff(attempt: number): number {
  return 1000 * 2 ** attempt;
}

/** A retry while tries are left, else giving the item up as a transient failure. */
function retryOrGiveUp(error: unknown, attempt: number, waitMs: number, refreshUrl = false): ItemVerdict {
  if (waitMs > MAX_IN_ACTIVITY_WAIT_MS) return { action: 'stop', error };
  if (attempt + 1 < ITEM_ATTEMPTS) return { action: 'retry', waitMs, refreshUrl };
  return { action: 'give-up', reason: messageOf(error), transient: true, bug: false };
}

function judgeGoogle(error: GooglePhotosError, attempt: number): ItemVerdict {
  switch (error.kind) {
    case 'daily-quota':
    case 'unauthenticated':
    case 'revoked':
    case 'insufficient-scope':
    // Premature (picking not finished) for every item alike, not this item's fault.
    case 'failed-precondition':
    // A baseUrl on a host that is not Google's: the token must not go there, for any item.
    case 'untrusted-host':
      return { action: 'stop', error };
    case 'not-found':
    case 'invalid-request':
    case 'invalid-response':
      return { action: 'give-up', reason: error.message, transient: false, bug: false };
    case 'rate-limited':
      return retryOrGiveUp(error, attempt, error.details.retryAfterMs ?? 30_000);
    case 'url-expired':
      return retryOrGiveUp(error, attempt, backoff(attempt), true);
    case 'server':
    case 'network':
    case 'truncated':
      return retryOrGiveUp(error, attempt, backoff(attempt));
  }
}

/**
 * The move after `attempt` (0-based) failed with `error` while storing an item into `where`.
 * `cancelled` wins over everything: a cancelled batch stops.
 */
export function judgeItemError(error: unknown, attempt: number, where: string, cancelled: boolean): ItemVerdict {
  if (cancelled) return { action: 'stop', error };
  if (error instanceof DestinationError) return { action: 'stop', error };
  if (error instanceof GooglePhotosError) return judgeGoogle(error, attempt);
  if (isS3Error(error)) {
    const verdict = judgeS3Error(error);
    if (verdict === 'fatal') return { action: 'stop', error: s3DestinationError(error, where) };
    if (verdict === 'item') return { action: 'give-up', reason: messageOf(error), transient: false, bug: false };
    // The bucket itself is failing, not this item: after the tries, the batch is retried.
    return attempt + 1 < ITEM_ATTEMPTS ? { action: 'retry', waitMs: backoff(attempt), refreshUrl: false } : { action: 'stop', error };
  }
  if (isIoError(error)) return retryOrGiveUp(new GooglePhotosError('network', messageOf(error), { cause: error }), attempt, backoff(attempt));
  return { action: 'give-up', reason: `internal error: ${messageOf(error)}`, transient: false, bug: true };
}
