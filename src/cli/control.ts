// `status`, `pause`, `resume`, `cancel`: act on a backup named by its workflow id or by --dest
// (and --account).
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import type { TemporalTarget } from '../temporal/connection.js';
import { pauseSignal, resumeSignal, type BackupSummary } from '../workflows/messages.js';
import { pickProgressQuery, type PickSummary } from '../workflows/pick-messages.js';
import { takeoutProgressQuery, type TakeoutSummary } from '../workflows/takeout-messages.js';
import { takeoutSummaryLines, takeoutWorkflowId } from './import-takeout.js';
import { PICKER_SCOPE_NOTE, pickExitCode, pickProgressLines, pickSummaryLines } from './pick.js';
import { liveProgress, withRunningBatches } from './live-progress.js';
import { flag, parse, stringOption, type Parsed } from './args.js';
import { showRecent } from './recent.js';
import { EXIT } from './exit.js';
import { formatBytes } from './progress.js';
import { failureMessage, failureLines, summaryExitCode, summaryLines } from './backup.js';
import { ACCOUNT_HELP, ACCOUNT_OPTIONS, accountRef, connect, destination, pickWorkflowId, S3_OPTIONS, targetWorkflowId, webUiLink } from './target.js';

type Action = 'status' | 'pause' | 'resume' | 'cancel';

const WHAT: Record<Action, string> = {
  status: 'Show the progress or outcome of a backup, a pick (with its link while it waits for\nthe person) or a Takeout import (takeout/...), with the items that could not be stored. Exit 0 while it runs or when it\nfinished with every item stored, 1 when it failed or finished with failed items (the next\nrun tries them again), 3 for a pick whose session expired unpicked.',
  pause: 'Pause a backup: batches in flight finish, no new ones start. (A pick cannot be paused.)',
  resume: 'Resume a paused backup.',
  cancel: 'Cancel a backup, a pick or a Takeout import: downloads and archive reads in flight are\naborted and leave no temp files (a pick deletes its Picker session; importing again later\ngoes on where the import stopped).',
};

export function controlHelp(action: Action): string {
  return `Usage: gphotos-backup ${action} [WORKFLOW_ID | --dest DIR [--account NAME]] [--json]${action === 'status' ? '\n       gphotos-backup status            (the recent backups, picks and imports, and the schedules)' : ''}

${WHAT[action]}

Options:
  --dest DEST           the destination (instead of a workflow id): its backup, pick or
                        Takeout import, the running one first (with --s3-endpoint when
                        it used one)
${ACCOUNT_HELP}
  --json                print machine-readable output
  -h, --help            show this help`;
}

/** The workflow id given, or the ids of the backup, the pick and the Takeout import into --dest. */
function candidateIds(parsed: Parsed): string[] {
  const id = targetWorkflowId(parsed);
  if (parsed.positionals.length > 0) return [id];
  const dest = destination(parsed);
  return [id, pickWorkflowId(accountRef(parsed), dest), takeoutWorkflowId(dest)];
}

/** The first of `ids` that runs, else the first that exists (a destination's backup before its pick and import). */
async function findWorkflow(client: Client, ids: readonly string[]): Promise<{ handle: WorkflowHandle; description: WorkflowExecutionDescription } | undefined> {
  let first: { handle: WorkflowHandle; description: WorkflowExecutionDescription } | undefined;
  for (const id of ids) {
    const handle = client.workflow.getHandle(id);
    try {
      const description = await handle.describe();
      if (description.status.name === 'RUNNING') return { handle, description };
      first ??= { handle, description };
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }
  return first;
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
  const { client, target, close } = await connect();
  try {
    const ids = candidateIds(parsed);
    const found = await findWorkflow(client, ids);
    if (!found) {
      console.error(`no backup, pick or Takeout import with workflow id ${ids.join(' or ')}`);
      return EXIT.failed;
    }
    const { handle, description } = found;
    const workflowId = handle.workflowId;
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
