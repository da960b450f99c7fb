// Turns errors classified at the edge into Temporal failures: non-retryable ones stop retries at
// once (with a type the workflow can act on); rate limits carry Google's minimum delay. An error
// that is neither classified nor I/O is a bug in our code: retrying cannot fix it, so it fails
// at once as a `bug` (the workflow records the batch's items as failed and goes on).
import { ApplicationFailure } from '@temporalio/activity';
import { ConfigError } from '../config.js';
import { GooglePhotosError } from '../google/errors.js';
import { DestinationError, isS3Error, judgeS3Error, s3DestinationError } from '../sinks/errors.js';
import { FAILURE_TYPES } from '../workflows/messages.js';
import { isIoError } from './item-errors.js';
import { TakeoutArchiveError } from '../sources/takeout/archive.js';

function googleFailure(error: GooglePhotosError): ApplicationFailure {
  if (error.kind === FAILURE_TYPES.dailyQuota) {
    // The workflow sleeps until the quota resets instead of burning retries.
    return ApplicationFailure.create({ message: error.message, type: FAILURE_TYPES.dailyQuota, nonRetryable: true, details: [{ retryAfterMs: error.details.retryAfterMs ?? null }] });
  }
  if (!error.retryable) return ApplicationFailure.nonRetryable(error.message, error.kind);
  return ApplicationFailure.create({
    message: error.message,
    type: error.kind,
    ...(error.details.retryAfterMs !== undefined ? { nextRetryDelay: error.details.retryAfterMs } : {}),
  });
}

export function toActivityFailure(error: unknown, where?: string): unknown {
  if (error instanceof ApplicationFailure) return error;
  if (isS3Error(error) && judgeS3Error(error) === 'fatal') return toActivityFailure(s3DestinationError(error, where ?? 'S3'));
  if (error instanceof DestinationError) return ApplicationFailure.nonRetryable(error.message, FAILURE_TYPES.destination);
  if (error instanceof ConfigError) return ApplicationFailure.nonRetryable(error.message, FAILURE_TYPES.config);
  if (error instanceof GooglePhotosError) return googleFailure(error);
  if (error instanceof TakeoutArchiveError) {
    return error.retryable ? ApplicationFailure.create({ message: error.message, type: FAILURE_TYPES.takeoutArchive }) : ApplicationFailure.nonRetryable(error.message, FAILURE_TYPES.takeoutArchive);
  }
  if (isIoError(error)) return error;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return ApplicationFailure.create({ message: `internal error: ${message}`, type: FAILURE_TYPES.bug, nonRetryable: true, cause: error instanceof Error ? error : undefined });
}

/** Runs an activity body and rethrows its error as a classified Temporal failure. */
export async function classified<T>(body: () => Promise<T>, where?: string): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw toActivityFailure(error, where);
  }
}
