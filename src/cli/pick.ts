// `gphotos-backup pick`: starts (or attaches to) a durable pick workflow into a destination,
// prints the link where the person picks photos in Google Photos, and optionally follows or
// waits for the download of what they picked.
import type { WorkflowHandle } from '@temporalio/client';
import { destinationLabel } from '../destination.js';
import { pick } from '../workflows/pick.js';
import { DEFAULT_PICK_OPTIONS, pickProgressQuery, type PickInput, type PickProgress, type PickSummary } from '../workflows/pick-messages.js';
import { flag, intOption, parse } from './args.js';
import { failureLines, reportOutcome } from './backup.js';
import { EXIT } from './exit.js';
import { formatBytes } from './progress.js';
import { startForDestination } from './start.js';
import { ACCOUNT_HELP, accountRef, connect, destination, pickWorkflowId, RUN_OPTIONS, S3_HELP, webUiLink } from './target.js';

export const PICK_HELP = `Usage: gphotos-backup pick --dest DIR|s3://BUCKET/PREFIX [options]

Back up photos and videos you choose in Google Photos (the Picker API: the only API route to a
whole library since 2025). Starts a durable pick workflow and prints a link: open it, pick up to
2,000 items and press Done. The workflow waits for you (durably, for as long as the session
lives), then stores what you picked like \`backup\` does, and closes the session.
Starting it again while it waits attaches to it and prints the same link.
A worker must be running (\`gphotos-backup worker\` or \`gphotos-backup dev\`).

Options:
  --dest DEST           destination folder or s3://bucket/prefix (required)
${ACCOUNT_HELP}
${S3_HELP}
  --concurrency N       download batches in flight (default: ${DEFAULT_PICK_OPTIONS.concurrency})
  --sidecars            write <file>.json with each item's metadata
  --follow              show the link, then progress until the pick ends
  --wait                block until the pick ends
  --json                print machine-readable output
  -h, --help            show this help

Exit codes (with --wait or --follow): 0 every picked item is stored; 1 some items could not be
stored or the workflow failed; 3 the session expired before anything was picked (run \`pick\`
again for a new link); 2 bad usage.`;

const PICK_OPTIONS = RUN_OPTIONS;

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The workflow's progress once `done` holds (a query no worker answers yet counts as not yet). */
async function progressWhen(handle: WorkflowHandle<typeof pick>, done: (p: PickProgress) => boolean, timeoutMs: number): Promise<PickProgress> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const progress = await handle.query(pickProgressQuery).catch(() => undefined);
    if (progress && done(progress)) return progress;
    if (Date.now() > deadline) throw new Error(`the pick workflow ${handle.workflowId} did not create a Picker session within ${timeoutMs / 1000} s; is a worker running?`);
    await delay(250);
  }
}

/** Prints each change of status (and counts) until the workflow ends. */
async function followStatus(handle: WorkflowHandle<typeof pick>): Promise<void> {
  let last = '';
  const ended = handle.result().then(() => true, () => true);
  while (!(await Promise.race([ended, delay(1000).then(() => false)]))) {
    const p = await handle.query(pickProgressQuery).catch(() => undefined);
    const line = p ? (pickProgressLines(p)[0] ?? '') : '';
    if (line && line !== last) process.stderr.write(`${line}\n`);
    last = line || last;
  }
}

/** A progress line of a running pick, and the link while the person has not picked yet. */
export function pickProgressLines(p: PickProgress): string[] {
  const lines = [`${p.status}: ${p.listed} picked, ${p.stored} stored (${formatBytes(p.storedBytes)}), ${p.skipped} already there, ${p.failed} failed`];
  if (p.status === 'waiting-for-pick' && p.pickerUri) lines.push(`  Open this link and pick the photos to back up: ${p.pickerUri}${p.expireTime ? ` (until ${p.expireTime})` : ''}`);
  return lines;
}

export function pickSummaryLines(summary: PickSummary): string[] {
  if (summary.outcome === 'expired') return ['The Picker session expired before anything was picked; nothing was downloaded. Run `gphotos-backup pick` again for a new link.'];
  const lines = [`Pick done: ${summary.listed} picked, ${summary.stored} stored (${formatBytes(summary.storedBytes)}), ${summary.skipped} already there, ${summary.failed} failed.`];
  lines.push(...failureLines(summary));
  if (summary.stillProcessing > 0) lines.push(`${summary.stillProcessing} videos were still processing at Google; pick them again later to fetch them.`);
  return lines;
}

export function pickExitCode(summary: PickSummary): number {
  if (summary.outcome === 'expired') return EXIT.pickExpired;
  return summary.failed > 0 || summary.stillProcessing > 0 ? EXIT.failed : EXIT.ok;
}

export async function pickCommand(argv: readonly string[]): Promise<number> {
  const parsed = parse(argv, PICK_OPTIONS);
  if (flag(parsed, 'help')) {
    console.log(PICK_HELP);
    return EXIT.ok;
  }
  const input: PickInput = {
    account: accountRef(parsed),
    destination: destination(parsed),
    options: { ...DEFAULT_PICK_OPTIONS, concurrency: intOption(parsed, 'concurrency', { min: 1, max: 64 }) ?? DEFAULT_PICK_OPTIONS.concurrency, sidecars: flag(parsed, 'sidecars') },
  };
  const [json, wait, follow] = [flag(parsed, 'json'), flag(parsed, 'wait'), flag(parsed, 'follow')];
  const workflowId = pickWorkflowId(input.account, input.destination);
  const where = destinationLabel(input.destination);
  const { client, target, close } = await connect();
  try {
    const handle = await startForDestination(client, pick, { taskQueue: target.taskQueue, workflowId, args: [input] }, { account: input.account, destination: input.destination, source: 'picker' });
    const link = webUiLink(target, workflowId);
    const { pickerUri, expireTime } = await progressWhen(handle, (p) => p.pickerUri !== undefined, 120_000);
    if (json) console.log(JSON.stringify({ workflowId, runId: handle.firstExecutionRunId, pickerUri, expireTime: expireTime ?? null, webUi: link ?? null }));
    else {
      console.log(`Pick ${workflowId} into ${where}`);
      if (link) console.log(`Web UI: ${link}`);
      console.log(`Open this link and pick the photos to back up: ${pickerUri}`);
      if (expireTime) console.log(`(the link works until ${expireTime})`);
    }
    if (!wait && !follow) return EXIT.ok;
    if (follow && !json) await followStatus(handle);
    return await reportOutcome(workflowId, handle.result(), json, { label: 'Pick', lines: pickSummaryLines, exitCode: pickExitCode });
  } finally {
    await close();
  }
}
