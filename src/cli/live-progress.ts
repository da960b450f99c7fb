// Progress as a user wants to see it: the workflow counts a batch (or a Takeout part) when it
// completes, so the batches and parts still running (a long video, a page of photos, a 50 GB
// part) are added from their activities' last heartbeats, which Temporal keeps with the
// workflow's pending activities.
import { defaultPayloadConverter } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { DownloadBatchHeartbeat } from '../activities/download-batch.js';
import type { ImportHeartbeat } from '../activities/takeout-store.js';
import { progressQuery, type BackupProgress } from '../workflows/messages.js';
import type { FollowedCounts } from './progress.js';

type Counts = Pick<FollowedCounts, 'stored' | 'storedBytes' | 'skipped' | 'failed'>;

/** What one heartbeat says was done, by the activity that sent it. */
const HEARTBEAT_COUNTS: Readonly<Record<string, (beat: unknown) => Counts>> = {
  downloadBatch: (raw) => {
    const beat = raw as Partial<DownloadBatchHeartbeat>;
    return { stored: beat.stored ?? 0, storedBytes: (beat.storedBytes ?? 0) + (beat.currentBytes ?? 0), skipped: beat.skipped ?? 0, failed: beat.failed?.length ?? 0 };
  },
  importTakeoutPart: (raw) => {
    const beat = raw as Partial<ImportHeartbeat>;
    return { stored: beat.stored ?? 0, storedBytes: beat.storedBytes ?? 0, skipped: beat.skipped ?? 0, failed: beat.failed ?? 0 };
  },
};

/** The counts of a run plus what its running download batches (or Takeout parts) have done so far. */
export async function withRunningBatches<P extends FollowedCounts>(handle: WorkflowHandle, progress: P): Promise<P> {
  const description = await handle.describe().catch(() => undefined);
  let { stored, storedBytes, skipped, failed } = progress;
  for (const pending of description?.raw.pendingActivities ?? []) {
    const counts = HEARTBEAT_COUNTS[pending.activityType?.name ?? ''];
    const payload = counts ? pending.heartbeatDetails?.payloads?.[0] : undefined;
    if (!counts || !payload) continue;
    let beat: Counts;
    try {
      beat = counts(defaultPayloadConverter.fromPayload<unknown>(payload) ?? {});
    } catch {
      continue; // not ours to read
    }
    stored += beat.stored;
    storedBytes += beat.storedBytes;
    skipped += beat.skipped;
    failed += beat.failed;
  }
  return { ...progress, stored, storedBytes, skipped, failed };
}

/** The backup's progress plus what its running download batches have done so far. */
export async function liveProgress(handle: WorkflowHandle): Promise<BackupProgress> {
  return withRunningBatches(handle, await handle.query(progressQuery));
}
