// Errors of the destination itself, classified where they arise: a full or read-only disk, a
// denied folder, a name the filesystem refuses, a bucket that refuses us. No retry can fix them,
// so they fail the backup at once, naming the place and what to do (DESIGN.md §5), instead of
// re-downloading every item a hundred times.

export type DestinationProblem = 'full' | 'quota' | 'read-only' | 'denied' | 'name-too-long' | 'too-large' | 'not-a-folder' | 'io' | 'unsafe-key' | 'bucket';

export class DestinationError extends Error {
  override readonly name = 'DestinationError';
  constructor(
    readonly problem: DestinationProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface Advice {
  readonly problem: DestinationProblem;
  readonly what: string;
  readonly fix: string;
}

/** errno codes no retry can fix, with what to tell the person. */
const DISK_ERRORS: Record<string, Advice> = {
  ENOSPC: { problem: 'full', what: 'the disk is full', fix: 'free some space there or choose another destination, then run the backup again' },
  EDQUOT: { problem: 'quota', what: 'the disk quota is used up', fix: 'free some space or raise the quota, then run the backup again' },
  EROFS: { problem: 'read-only', what: 'the filesystem is read-only', fix: 'mount it read-write or choose another destination' },
  EACCES: { problem: 'denied', what: 'permission denied', fix: 'let the user running the worker write to that folder (or choose another destination)' },
  EPERM: { problem: 'denied', what: 'operation not permitted', fix: 'let the user running the worker write to that folder (or choose another destination)' },
  ENAMETOOLONG: { problem: 'name-too-long', what: 'the path is too long for this filesystem', fix: 'choose a destination with a shorter path' },
  EFBIG: { problem: 'too-large', what: 'the file is too large for this filesystem (FAT32 stops at 4 GiB)', fix: 'use a destination on a filesystem without that limit (exFAT, NTFS, ext4, APFS)' },
  ENOTDIR: { problem: 'not-a-folder', what: 'a file stands where a folder should be', fix: 'move that file away or choose another destination' },
  EISDIR: { problem: 'not-a-folder', what: 'a folder stands where a file should be', fix: 'move that folder away or choose another destination' },
  EIO: { problem: 'io', what: 'the disk reported an I/O error', fix: 'check the disk (dmesg, SMART) before backing up to it again' },
};

/** A filesystem error as a DestinationError when no retry can fix it; other errors unchanged. */
export function classifyDiskError(error: unknown, fallbackPath: string): unknown {
  if (error instanceof DestinationError) return error;
  const e = error as NodeJS.ErrnoException | null;
  const advice = typeof e?.code === 'string' ? DISK_ERRORS[e.code] : undefined;
  if (!advice) return error;
  const path = typeof e?.path === 'string' ? e.path : fallbackPath;
  return new DestinationError(advice.problem, `${path}: ${advice.what} (${String(e?.code)}): ${advice.fix}.`, { cause: error });
}

/** Runs a filesystem operation, turning errors no retry can fix into DestinationErrors. */
export async function onDisk<T>(path: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw classifyDiskError(error, path);
  }
}

/** S3 error codes that mean the bucket refuses us: wrong credentials, no bucket, no permission, full. */
const S3_FATAL = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'NoSuchBucket',
  'AccessDenied',
  'InvalidBucketName',
  'AllAccessDisabled',
  'AccountProblem',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'CredentialsProviderError',
  'InvalidStorageClass',
  'KMS.DisabledException',
  'KMS.NotFoundException',
  'KMS.KMSInvalidStateException',
  'QuotaExceeded',
  'XMinioStorageFull',
  'XMinioAdminBucketQuotaExceeded',
  'StorageFull',
]);

/** S3 client errors (4xx) that another try can fix. */
const S3_RETRYABLE_CLIENT = new Set(['RequestTimeout', 'RequestTimeTooSkewed', 'BadDigest', 'XAmzContentSHA256Mismatch', 'NoSuchUpload', 'OperationAborted', 'SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequestsException']);

export type S3Verdict = 'fatal' | 'retry' | 'item';

interface SdkError {
  readonly name?: string;
  readonly code?: string;
  readonly $fault?: 'client' | 'server';
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/** Whether an error came from the AWS SDK (it carries $metadata or $fault). */
export function isS3Error(error: unknown): boolean {
  const e = error as SdkError | null;
  return typeof e === 'object' && e !== null && (e.$metadata !== undefined || e.$fault !== undefined);
}

/**
 * What an S3 error means for a backup: `fatal` (the bucket refuses us: fail the backup), `retry`
 * (throttling, 5xx, a dropped connection) or `item` (a 4xx about this one object).
 */
export function judgeS3Error(error: unknown): S3Verdict {
  const e = error as SdkError;
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  if (S3_FATAL.has(name) || status === 401 || status === 403) return 'fatal';
  if (S3_RETRYABLE_CLIENT.has(name) || status === 429 || status === undefined || status >= 500 || e.$fault === 'server') return 'retry';
  return 'item';
}

/** A fatal S3 error as a DestinationError naming the destination and the fix. */
export function s3DestinationError(error: unknown, where: string): DestinationError {
  const e = error as SdkError & { message?: string };
  return new DestinationError(
    'bucket',
    `${where}: ${e.name ?? 'S3 error'}: ${e.message ?? ''}. Check the bucket name and that the AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or profile) may write to it.`,
    { cause: error },
  );
}
