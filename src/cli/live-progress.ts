// Progress as a user wants to see it: the workflow counts a batch when it completes, so the
// batches still running (a long video, a page of photos) are added from their activities' last
// heartbeats, which Temporal keeps with the workflow's pending activities.
import { defaultPayloadConverter } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { DownloadBatchHeartbeat } from '../activities/download-batch.js';
import { progressQuery, type BackupProgress } from '../workflows/messages.js';
import type { FollowedCounts } from './progress.js';

/** The counts of a run plus what its running download batches have done so far. */
export async function withRunningBatches<P extends FollowedCounts>(handle: WorkflowHandle, progress: P): Promise<P> {
  const description = await handle.describe().catch(() => undefined);
  let { stored, storedBytes, skipped, failed } = progress;
  for (const pending of description?.raw.pendingActivities ?? []) {
    const payload = pending.activityType?.name === 'downloadBatch' ? pending.heartbeatDetails?.payloads?.[0] : undefined;
    if (!payload) continue;
    let beat: Partial<DownloadBatchHeartbeat> | undefined;
    try {
      beat = defaultPayloadConverter.fromPayload<Partial<DownloadBatchHeartbeat>>(payload);
    } catch {
      continue; // not ours to read
    }
    stored += beat.stored ?? 0;
    storedBytes += (beat.storedBytes ?? 0) + (beat.currentBytes ?? 0);
    skipped += beat.skipped ?? 0;
    failed += beat.failed?.length ?? 0;
  }
  return { ...progress, stored, storedBytes, skipped, failed };
}

/** The backup's progress plus what its running download batches have done so far. */
export async function liveProgress(handle: WorkflowHandle): Promise<BackupProgress> {
  return withRunningBatches(handle, await handle.query(progressQuery));
}
