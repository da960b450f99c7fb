// Which S3 objects cannot be read back right now: those in an archive storage class (GLACIER,
// DEEP_ARCHIVE) or an Intelligent-Tiering archive tier, unless a restore has finished. `verify`
// checks them with HEAD only (size, media id), the one check archive storage allows.
import type { HeadObjectCommandOutput } from '@aws-sdk/client-s3';

const ARCHIVE_CLASSES: ReadonlySet<string> = new Set(['GLACIER', 'DEEP_ARCHIVE']);

export function isArchived(head: Pick<HeadObjectCommandOutput, 'StorageClass' | 'ArchiveStatus' | 'Restore'>): boolean {
  const inArchive = (head.StorageClass !== undefined && ARCHIVE_CLASSES.has(head.StorageClass)) || head.ArchiveStatus !== undefined;
  // A finished restore answers `x-amz-restore: ongoing-request="false", expiry-date="..."`.
  return inArchive && !/ongoing-request="false"/.test(head.Restore ?? '');
}
