// backup: the durable heart of gphotos-backup. Lists the library page by page (a local activity
// per page: one history event) and keeps several downloadBatch activities in flight while listing
// goes on. Sleeps durably when Google's daily quota runs out, retries still-PROCESSING videos at
// the end, continues as new to keep each run's history small, and honours pause, resume and
// cancel. The run's state and steps live in backup-run.ts; this is the order of the steps.
// Every change to the commands these steps issue goes behind patched() (README: Versioning).
import { isCancellation, setHandler } from '@temporalio/workflow';
import { BackupRun } from './backup-run.js';
import { pauseSignal, progressQuery, resumeSignal, type BackupInput, type BackupSummary } from './messages.js';

export { msUntilUtc } from './backup-failures.js';

export async function backup(input: BackupInput): Promise<BackupSummary> {
  const run = new BackupRun(input);
  setHandler(progressQuery, () => run.progress());
  setHandler(pauseSignal, () => run.setPaused(true));
  setHandler(resumeSignal, () => run.setPaused(false));
  try {
    await run.listAll();
    await run.retryProcessing();
    await run.retryRound();
  } catch (error) {
    if (isCancellation(error)) await run.cleanUpAfterCancel();
    throw error;
  }
  return run.finish();
}
