// `gphotos-backup pick`: starts (or attaches to) a durable pick workflow into a destination,
// prints the link where the person picks photos in Google Photos, and optionally follows or
// waits for the download of what they picked.
import type { WorkflowHandle } from '@temporalio/client';
import { destinationLabel } from '../destination.js';
import { pick } from '../workflows/pick.js';
import { DEFAULT_PICK_OPTIONS, pickProgressQuery, type PickInput, type PickProgress, type PickSummary } from '../workflows/pick-messages.js';
import QRCode from 'qrcode';
import { flag, intOption, parse, type Parsed } from './args.js';
import { failureLines, reportOutcome } from './backup.js';
import { EXIT } from './exit.js';
import { withRunningBatches } from './live-progress.js';
import { barLine, follow, formatBytes, type Rate } from './progress.js';
import { startForDestination } from './start.js';
import { ACCOUNT_HELP, accountRef, connect, destination, maxRate, pickWorkflowId, RATE_HELP, RUN_OPTIONS, S3_HELP, webUiLink } from './target.js';

export const PICK_HELP = `Usage: gphotos-backup pick --dest DIR|s3://BUCKET/PREFIX [options]

Back up photos and videos you choose in Google Photos (the Picker API: the only API route to a
whole library since 2025). Starts a durable pick workflow and prints a link (and, on a terminal,
a QR code for a phone): open it, pick up to 2,000 items and press Done. The workflow waits for
you (durably, for as long as the session lives), then stores what you picked like \`backup\`
does, skipping what the destination already holds (from an earlier pick or from \`backup\`),
and closes the session. With --sessions N it then opens the next session, for libraries larger
than 2,000 items: one round per session, each shown with its own link.
Starting it again while it runs attaches to it and prints the current link.
A worker must be running (\`gphotos-backup worker\` or \`gphotos-backup dev\`).

Options:
  --dest DEST           destination folder or s3://bucket/prefix (required)
${ACCOUNT_HELP}
${S3_HELP}
  --sessions N          rounds of picking, one session each (default: 1); 0: until a session
                        expires or you press Done with nothing picked
  --concurrency N       download batches in flight (default: ${DEFAULT_PICK_OPTIONS.concurrency})
${RATE_HELP}
  --sidecars            write <file>.json with each item's metadata
  --processing-wait M   minutes to keep retrying picked videos Google is still processing
                        (default: ${DEFAULT_PICK_OPTIONS.processingWaitSeconds / 60})
  --qr                  print the QR code even when the output is not a terminal
  --follow              show the link, then a progress bar until the pick ends
  --wait                block until the pick ends
  --json                print machine-readable output
  -h, --help            show this help

Exit codes (with --wait or --follow): 0 every picked item is stored; 1 some items could not be
stored or the workflow failed (a missing Picker permission: run \`gphotos-backup auth login\`);
3 nothing was picked: the session expired, or Done was pressed with no items (run \`pick\` again
for a new link); 2 bad usage.`;

export const PICKER_SCOPE_NOTE =
  'Picking needs the photospicker.mediaitems.readonly permission: run `gphotos-backup auth login` again and allow access to pick photos.';

export const PICK_OPTIONS = { ...RUN_OPTIONS, sessions: { type: 'string' }, 'processing-wait': { type: 'string' }, qr: { type: 'boolean' } } as const;

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The workflow's progress once `done` holds (a query no worker answers yet counts as not yet). */
async function progressWhen(handle: WorkflowHandle<typeof pick>, done: (p: PickProgress) => boolean, timeoutMs: number, ended: () => boolean): Promise<PickProgress | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (!ended()) {
    const progress = await handle.query(pickProgressQuery).catch(() => undefined);
    if (progress && done(progress)) return progress;
    if (Date.now() > deadline) throw new Error(`the pick workflow ${handle.workflowId} did not create a Picker session within ${timeoutMs / 1000} s; is a worker running?`);
    await delay(250);
  }
  return undefined;
}

function roundLabel(p: PickProgress): string {
  if (p.round === undefined || p.rounds === 1) return '';
  return ` (round ${p.round}${p.rounds ? ` of ${p.rounds}` : ''})`;
}

/** The line to print once per session: where the person picks. */
export function linkLine(p: Pick<PickProgress, 'pickerUri' | 'expireTime' | 'round' | 'rounds'>): string {
  return `Open this link and pick the photos to back up${roundLabel(p as PickProgress)}: ${p.pickerUri ?? ''}${p.expireTime ? ` (until ${p.expireTime})` : ''}`;
}

/** The progress bar of a pick: waiting for the person, then items as they are stored. */
export function pickLine(p: PickProgress, rate: Rate): string {
  if (p.status === 'waiting-for-pick' || p.status === 'creating-session') return `waiting for you to pick${roundLabel(p)} · ${p.polls} polls`;
  const complete = p.status !== 'downloading';
  const sleeping = p.status === 'sleeping-for-quota' && p.sleepingUntil ? ` · daily quota used up, resuming at ${p.sleepingUntil}` : '';
  const tail = `${p.failed > 0 ? ` · ${p.failed} failed` : ''}${p.stillProcessing > 0 ? ` · ${p.stillProcessing} videos processing` : ''}${roundLabel(p)}${sleeping}`;
  return barLine({ done: p.stored + p.skipped + p.failed, total: p.listed, complete: complete || p.listed > 0, bytes: p.storedBytes }, rate, tail);
}

/** A progress line of a running pick, and the link while the person has not picked yet. */
export function pickProgressLines(p: PickProgress): string[] {
  const lines = [`${p.status}${roundLabel(p)}: ${p.listed} picked, ${p.stored} stored (${formatBytes(p.storedBytes)}), ${p.skipped} already there, ${p.failed} failed`];
  if (p.status === 'waiting-for-pick' && p.pickerUri) lines.push(`  ${linkLine(p)}`);
  return lines;
}

export function pickSummaryLines(summary: PickSummary): string[] {
  if (summary.outcome === 'expired') return ['The Picker session expired before anything was picked; nothing was downloaded. Run `gphotos-backup pick` again for a new link.'];
  if (summary.outcome === 'nothing-picked') return ['Nothing was picked in the Picker session; nothing was downloaded. Run `gphotos-backup pick` again for a new link.'];
  const rounds = (summary.roundsPicked ?? 1) > 1 ? ` in ${summary.roundsPicked} sessions` : '';
  const lines = [`Pick done: ${summary.listed} picked${rounds}, ${summary.stored} stored (${formatBytes(summary.storedBytes)}), ${summary.skipped} already there, ${summary.failed} failed.`];
  lines.push(...failureLines(summary));
  if (summary.stillProcessing > 0) lines.push(`${summary.stillProcessing} videos were still processing at Google; pick them again later to fetch them.`);
  return lines;
}

export function pickExitCode(summary: PickSummary): number {
  if (summary.outcome !== 'picked') return EXIT.pickExpired;
  return summary.failed > 0 || summary.stillProcessing > 0 ? EXIT.failed : EXIT.ok;
}

export function pickInput(parsed: Parsed): PickInput {
  const minutes = intOption(parsed, 'processing-wait', { min: 0, max: 7 * 24 * 60 }) ?? DEFAULT_PICK_OPTIONS.processingWaitSeconds / 60;
  return {
    account: accountRef(parsed),
    destination: destination(parsed),
    options: {
      ...DEFAULT_PICK_OPTIONS,
      concurrency: intOption(parsed, 'concurrency', { min: 1, max: 64 }) ?? DEFAULT_PICK_OPTIONS.concurrency,
      ...maxRate(parsed),
      sidecars: flag(parsed, 'sidecars'),
      sessions: intOption(parsed, 'sessions', { min: 0, max: 10_000 }) ?? DEFAULT_PICK_OPTIONS.sessions,
      processingWaitSeconds: minutes * 60,
    },
  };
}

/** The link, and its QR code on a terminal (or with --qr), for the person to open. */
async function showLink(p: PickProgress, qr: boolean): Promise<void> {
  console.log(linkLine(p));
  if (qr && p.pickerUri) console.log(await QRCode.toString(p.pickerUri, { type: 'terminal', small: true }));
}

export async function pickCommand(argv: readonly string[]): Promise<number> {
  const parsed = parse(argv, PICK_OPTIONS);
  if (flag(parsed, 'help')) {
    console.log(PICK_HELP);
    return EXIT.ok;
  }
  const input = pickInput(parsed);
  const [json, wait, follow] = [flag(parsed, 'json'), flag(parsed, 'wait'), flag(parsed, 'follow')];
  const qr = flag(parsed, 'qr') || process.stdout.isTTY === true;
  const workflowId = pickWorkflowId(input.account, input.destination);
  const { client, target, close } = await connect();
  try {
    const handle = await startForDestination(client, pick, { taskQueue: target.taskQueue, workflowId, args: [input] }, { account: input.account, destination: input.destination, source: 'picker' });
    const link = webUiLink(target, workflowId);
    const outcome = handle.result();
    // A pick that fails before its session exists (a sign-in without the Picker scope) ends here.
    let closed = false;
    const ended = outcome.then(
      () => undefined,
      () => undefined,
    ).finally(() => (closed = true));
    const first = await Promise.race([progressWhen(handle, (p) => p.pickerUri !== undefined, 120_000, () => closed), ended]);
    if (!first) return await reportOutcome(workflowId, outcome, json, { label: 'Pick', lines: pickSummaryLines, exitCode: pickExitCode, scopeNote: PICKER_SCOPE_NOTE });
    if (json) console.log(JSON.stringify({ workflowId, runId: handle.firstExecutionRunId, pickerUri: first.pickerUri, expireTime: first.expireTime ?? null, webUi: link ?? null }));
    else {
      console.log(`Pick ${workflowId} into ${destinationLabel(input.destination)}`);
      if (link) console.log(`Web UI: ${link}`);
      await showLink(first, qr);
    }
    if (!wait && !follow) return EXIT.ok;
    if (follow && !json) await followPick(handle, first.sessionId);
    return await reportOutcome(workflowId, outcome, json, { label: 'Pick', lines: pickSummaryLines, exitCode: pickExitCode, scopeNote: PICKER_SCOPE_NOTE });
  } finally {
    await close();
  }
}

/** The progress bar until the pick ends; each later session's link printed once, as it opens. */
async function followPick(handle: WorkflowHandle<typeof pick>, shownSession: string | undefined): Promise<void> {
  await follow(handle, process.stderr, {
    read: async () => withRunningBatches(handle, await handle.query(pickProgressQuery)),
    line: pickLine,
    note: (p) => (p.pickerUri && p.sessionId !== shownSession && p.status === 'waiting-for-pick' ? linkLine(p) : undefined),
  });
}
