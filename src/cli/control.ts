// `status`, `pause`, `resume`, `cancel`: act on a backup named by its workflow id or by --dest
// (and --account).
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { TemporalTarget } from '../temporal/connection.js';
import { pauseSignal, resumeSignal, type BackupSummary } from '../workflows/messages.js';
import { liveProgress } from './live-progress.js';
import { flag, parse } from './args.js';
import { EXIT } from './exit.js';
import { formatBytes } from './progress.js';
import { failureMessage, failureLines, summaryExitCode, summaryLines } from './backup.js';
import { ACCOUNT_HELP, ACCOUNT_OPTIONS, connect, S3_OPTIONS, targetWorkflowId, webUiLink } from './target.js';

type Action = 'status' | 'pause' | 'resume' | 'cancel';

const WHAT: Record<Action, string> = {
  status: 'Show the progress or outcome of a backup, with the items that could not be stored.\nExit 0 while it runs or when it finished with every item stored, 1 when it failed or\nfinished with failed items (the next run tries them again).',
  pause: 'Pause a backup: batches in flight finish, no new ones start.',
  resume: 'Resume a paused backup.',
  cancel: 'Cancel a backup: downloads in flight are aborted and leave no temp files.',
};

export function controlHelp(action: Action): string {
  return `Usage: gphotos-backup ${action} [WORKFLOW_ID | --dest DIR [--account NAME]] [--json]

${WHAT[action]}

Options:
  --dest DEST           the backup's destination (instead of a workflow id; with
                        --s3-endpoint when the backup used one)
${ACCOUNT_HELP}
  --json                print machine-readable output
  -h, --help            show this help`;
}

export async function controlCommand(action: Action, argv: readonly string[]): Promise<number> {
  const parsed = parse(argv, { ...ACCOUNT_OPTIONS, ...S3_OPTIONS, dest: { type: 'string' }, json: { type: 'boolean' } }, true);
  if (flag(parsed, 'help')) {
    console.log(controlHelp(action));
    return EXIT.ok;
  }
  const workflowId = targetWorkflowId(parsed);
  const json = flag(parsed, 'json');
  const { client, target, close } = await connect();
  try {
    const handle = client.workflow.getHandle(workflowId);
    let description;
    try {
      description = await handle.describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        console.error(`no backup with workflow id ${workflowId}`);
        return EXIT.failed;
      }
      throw error;
    }
    const running = description.status.name === 'RUNNING';
    if (action !== 'status') {
      if (!running) {
        console.error(`backup ${workflowId} is not running (${description.status.name})`);
        return EXIT.failed;
      }
      if (action === 'pause') await handle.signal(pauseSignal);
      else if (action === 'resume') await handle.signal(resumeSignal);
      else await handle.cancel();
      if (json) console.log(JSON.stringify({ workflowId, action }));
      else console.log(`${action === 'cancel' ? 'cancellation requested for' : `${action}d`} ${workflowId}`);
      return EXIT.ok;
    }
    return await showStatus(handle, description.status.name, target, json);
  } finally {
    await close();
  }
}

/** Prints a backup's progress (running) or its outcome; exit 1 when it failed or items did. */
async function showStatus(handle: WorkflowHandle, state: string, target: TemporalTarget, json: boolean): Promise<number> {
  const workflowId = handle.workflowId;
  if (state === 'RUNNING') {
    const p = await liveProgress(handle);
    if (json) console.log(JSON.stringify({ workflowId, state: 'RUNNING', progress: p }));
    else {
      console.log(`${workflowId}: ${p.status}${p.sleepingUntil ? ` until ${p.sleepingUntil}` : ''}`);
      console.log(`  ${p.stored + p.skipped + p.failed}/${p.listed}${p.listingDone ? '' : '+'} items done: ${p.stored} stored (${formatBytes(p.storedBytes)}), ${p.skipped} already there, ${p.failed} failed`);
      for (const line of failureLines(p)) console.log(line);
      const link = webUiLink(target, workflowId);
      if (link) console.log(`  Web UI: ${link}`);
    }
    return EXIT.ok;
  }
  if (state === 'COMPLETED') {
    const summary = (await handle.result()) as BackupSummary;
    if (json) console.log(JSON.stringify({ workflowId, state: 'COMPLETED', summary }));
    else for (const line of summaryLines(summary)) console.log(line);
    return summaryExitCode(summary);
  }
  let message: string = state;
  try {
    await handle.result();
  } catch (error) {
    message = `${state}: ${failureMessage(error)}`;
  }
  if (json) console.log(JSON.stringify({ workflowId, state, error: message }));
  else console.log(`${workflowId}: ${message}`);
  return EXIT.failed;
}
