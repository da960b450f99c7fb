// `status`, `pause`, `resume`, `cancel`: act on a backup named by its workflow id or by --dest
// (and --account).
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { TemporalTarget } from '../temporal/connection.js';
import { pauseSignal, resumeSignal, type BackupSummary } from '../workflows/messages.js';
import { pickProgressQuery, type PickSummary } from '../workflows/pick-messages.js';
import { takeoutProgressQuery, type TakeoutSummary } from '../workflows/takeout-messages.js';
import { takeoutSummaryLines } from './import-takeout.js';
import { PICKER_SCOPE_NOTE, pickExitCode, pickProgressLines, pickSummaryLines } from './pick.js';
import { liveProgress, withRunningBatches } from './live-progress.js';
import { flag, parse, stringOption } from './args.js';
import { showRecent } from './recent.js';
import { EXIT } from './exit.js';
import { formatBytes } from './progress.js';
import { failureMessage, failureLines, summaryExitCode, summaryLines } from './backup.js';
import { ACCOUNT_HELP, ACCOUNT_OPTIONS, connect, S3_OPTIONS, targetWorkflowId, webUiLink } from './target.js';

type Action = 'status' | 'pause' | 'resume' | 'cancel';

const WHAT: Record<Action, string> = {
  status: 'Show the progress or outcome of a backup, a pick (with its link while it waits for\nthe person) or a Takeout import (takeout/...), with the items that could not be stored. Exit 0 while it runs or when it\nfinished with every item stored, 1 when it failed or finished with failed items (the next\nrun tries them again), 3 for a pick whose session expired unpicked.',
  pause: 'Pause a backup: batches in flight finish, no new ones start. (A pick cannot be paused.)',
  resume: 'Resume a paused backup.',
  cancel: 'Cancel a backup or a pick: downloads in flight are aborted and leave no temp files (a\npick deletes its Picker session).',
};

export function controlHelp(action: Action): string {
  return `Usage: gphotos-backup ${action} [WORKFLOW_ID | --dest DIR [--account NAME]] [--json]${action === 'status' ? '\n       gphotos-backup status            (the recent backups, picks and imports, and the schedules)' : ''}

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
  const json = flag(parsed, 'json');
  if (action === 'status' && parsed.positionals.length === 0 && stringOption(parsed, 'dest') === undefined) {
    const { client, close } = await connect();
    try {
      return await showRecent(client, json);
    } finally {
      await close();
    }
  }
  const workflowId = targetWorkflowId(parsed);
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
    const isPick = description.type === 'pick';
    const isTakeout = description.type === 'importTakeout';
    if (isPick && (action === 'pause' || action === 'resume')) {
      console.error(`${workflowId} is a pick; it cannot be ${action}d (cancel it, or let the session expire)`);
      return EXIT.failed;
    }
    if (isTakeout && (action === 'pause' || action === 'resume')) {
      console.error(`${workflowId} is a Takeout import; it cannot be ${action}d (cancel it and import again later: nothing stored is written twice)`);
      return EXIT.failed;
    }
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
    if (isPick) return await showPickStatus(handle, description.status.name, json);
    if (isTakeout) return await showTakeoutStatus(handle, description.status.name, json);
    return await showStatus(handle, description.status.name, target, json);
  } finally {
    await close();
  }
}

/** Prints a backup's progress (running) or its outcome; exit 1 when it failed or items did. */
async function showStatus(handle: WorkflowHandle, state: string, target: TemporalTarget | undefined, json: boolean, scopeNote?: string): Promise<number> {
  const workflowId = handle.workflowId;
  if (state === 'RUNNING') {
    const p = await liveProgress(handle);
    if (json) console.log(JSON.stringify({ workflowId, state: 'RUNNING', progress: p }));
    else {
      console.log(`${workflowId}: ${p.status}${p.sleepingUntil ? ` until ${p.sleepingUntil}` : ''}`);
      console.log(`  ${p.stored + p.skipped + p.failed}/${p.listed}${p.listingDone ? '' : '+'} items done: ${p.stored} stored (${formatBytes(p.storedBytes)}), ${p.skipped} already there, ${p.failed} failed`);
      for (const line of failureLines(p)) console.log(line);
      const link = target ? webUiLink(target, workflowId) : undefined;
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
    message = `${state}: ${failureMessage(error, scopeNote)}`;
  }
  if (json) console.log(JSON.stringify({ workflowId, state, error: message }));
  else console.log(`${workflowId}: ${message}`);
  return EXIT.failed;
}

/** Prints a Takeout import's progress (with what its running parts have stored) or its outcome. */
async function showTakeoutStatus(handle: WorkflowHandle, state: string, json: boolean): Promise<number> {
  const workflowId = handle.workflowId;
  if (state === 'RUNNING') {
    const p = await withRunningBatches(handle, await handle.query(takeoutProgressQuery));
    if (json) console.log(JSON.stringify({ workflowId, state, progress: p }));
    else {
      console.log(`${workflowId}: ${p.status}, ${p.partsScanned} of ${p.parts} parts scanned, ${p.partsImported} imported`);
      console.log(`  ${p.stored + p.skipped + p.failed}/${p.listed} items done: ${p.stored} stored (${formatBytes(p.storedBytes)}), ${p.skipped} already there, ${p.failed} failed`);
    }
    return EXIT.ok;
  }
  if (state === 'COMPLETED') {
    const summary = (await handle.result()) as TakeoutSummary;
    if (json) console.log(JSON.stringify({ workflowId, state, summary }));
    else for (const line of takeoutSummaryLines(summary)) console.log(line);
    return summary.failed > 0 ? EXIT.failed : EXIT.ok;
  }
  return showStatus(handle, state, undefined, json);
}

/** Prints a pick's progress (with its link while waiting for the person) or its outcome. */
async function showPickStatus(handle: WorkflowHandle, state: string, json: boolean): Promise<number> {
  const workflowId = handle.workflowId;
  if (state === 'RUNNING') {
    const p = await handle.query(pickProgressQuery);
    if (json) console.log(JSON.stringify({ workflowId, state, progress: p }));
    else for (const line of [`${workflowId}:`, ...pickProgressLines(p)]) console.log(line);
    return EXIT.ok;
  }
  if (state === 'COMPLETED') {
    const summary = (await handle.result()) as PickSummary;
    if (json) console.log(JSON.stringify({ workflowId, state, summary }));
    else for (const line of pickSummaryLines(summary)) console.log(line);
    return pickExitCode(summary);
  }
  return showStatus(handle, state, undefined, json, PICKER_SCOPE_NOTE);
}
