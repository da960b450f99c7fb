// Turns errors classified at the edge into Temporal failures: non-retryable ones stop retries at
// once (with a type the workflow can act on); rate limits carry Google's minimum delay.
import { ApplicationFailure } from '@temporalio/activity';
import { ConfigError } from '../config.js';
import { GooglePhotosError } from '../google/errors.js';
import { FAILURE_TYPES } from '../workflows/messages.js';


/** S3 errors no retry can fix: wrong credentials, no such bucket, no permission. */
const S3_FATAL = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'NoSuchBucket', 'AccessDenied', 'InvalidBucketName', 'AllAccessDisabled', 'InvalidToken', 'ExpiredToken', 'CredentialsProviderError']);

export function toActivityFailure(error: unknown, where?: string): unknown {
  if (error instanceof ApplicationFailure) return error;
  const name = (error as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && S3_FATAL.has(name)) {
    return ApplicationFailure.nonRetryable(
      `${where ?? 'S3'}: ${name}: ${(error as Error).message}. Check the bucket name and that the AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or profile) may write to it.`,
      FAILURE_TYPES.destination,
    );
  }
  if (error instanceof ConfigError) return ApplicationFailure.nonRetryable(error.message, FAILURE_TYPES.config);
  if (!(error instanceof GooglePhotosError)) return error;
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

/** Runs an activity body and rethrows its error as a classified Temporal failure. */
export async function classified<T>(body: () => Promise<T>, where?: string): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw toActivityFailure(error, where);
  }
}
