// Polling helpers for tests and scripts that watch a running workflow.
import type { WorkflowHandle } from '@temporalio/client';
import { progressQuery, type BackupProgress } from '../../src/workflows/messages.js';

/** Resolves once `check` resolves true (a rejection counts as not yet); rejects after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 60_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve().then(check).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The backup's progress once `done` holds for it (a query no worker answers yet counts as not yet). */
export async function progressWhen(handle: WorkflowHandle, done: (p: BackupProgress) => boolean, timeoutMs = 60_000): Promise<BackupProgress> {
  let last: BackupProgress | undefined;
  await until(async () => done((last = await handle.query(progressQuery))), timeoutMs, 'backup progress');
  return last as BackupProgress;
}
