// `gphotos-backup backup`: starts (or attaches to) the durable backup of the Library API into a
// destination, prints its workflow id and Web UI link, and optionally follows or waits for it.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { SearchFilters } from '../google/types.js';
import { destinationLabel } from '../destination.js';
import { itemLabel } from '../sources/descriptor.js';
import { backup } from '../workflows/backup.js';
import { DEFAULT_BACKUP_OPTIONS, type BackupInput, type BackupSummary } from '../workflows/messages.js';
import { choiceOption, flag, intOption, parse, stringOption } from './args.js';
import { EXIT, UsageError } from './exit.js';
import { followProgress, formatBytes } from './progress.js';
import { startForDestination } from './start.js';
import { ACCOUNT_HELP, accountRef, backupWorkflowId, connect, destination, maxRate, RATE_HELP, RUN_OPTIONS, S3_HELP, webUiLink } from './target.js';

export const BACKUP_HELP = `Usage: gphotos-backup backup --dest DIR|s3://BUCKET/PREFIX [options]

Start a durable backup of the photos and videos the Library API lists into a folder or an S3
bucket (layout YYYY/MM/<name>, bytes from =d / =dv, verified and recorded in .gphotos-backup/).
Starting the same backup again attaches to the running one; a finished backup run again only
fetches what is new. A worker must be running (\`gphotos-backup worker\` or \`gphotos-backup dev\`).

Since 2025-03-31 the Library API lists only items this app created. The rest of a library is
reachable through the Picker API (\`gphotos-backup pick\`) or Google Takeout (\`gphotos-backup import-takeout\`).

Options:
  --dest DEST           destination folder or s3://bucket/prefix (required)
${ACCOUNT_HELP}
${S3_HELP}
  --media KIND          photos, videos or all (default: all)
  --from YYYY-MM-DD     only items created on or after this day (UTC)
  --to YYYY-MM-DD       only items created on or before this day (UTC)
  --concurrency N       download batches in flight (default: ${DEFAULT_BACKUP_OPTIONS.concurrency})
${RATE_HELP}
  --sidecars            write <file>.json with each item's metadata
  --processing-wait M   minutes to keep retrying videos Google is still processing (default: 15)
  --quota-reset HH:MM   UTC time Google's daily quota resets (default: 08:00, midnight Pacific)
  --follow              show live progress until the backup ends
  --wait                block until the backup ends; exit 0 if every item is stored, 1 if
                        the backup failed or some items could not be stored (they are
                        listed, and the next run tries them again)
  --json                print machine-readable output
  -h, --help            show this help`;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseDay(name: string, value: string | undefined): { year: number; month: number; day: number } | undefined {
  if (value === undefined) return undefined;
  const m = DATE.exec(value);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!m || !date || date.getUTCDate() !== Number(m[3])) throw new UsageError(`--${name} must be a date like 2024-05-31, got "${value}"`);
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
}

export function searchFilters(media: 'photos' | 'videos' | 'all' | undefined, from?: string, to?: string): SearchFilters | undefined {
  const start = parseDay('from', from);
  const end = parseDay('to', to);
  if (media === undefined && !start && !end) return undefined;
  return {
    // Archived items are part of the user's library: keep them in filtered searches too.
    includeArchivedMedia: true,
    ...(media && media !== 'all' ? { mediaTypeFilter: { mediaTypes: [media === 'photos' ? 'PHOTO' : 'VIDEO'] } } : {}),
    ...(start || end
      ? { dateFilter: { ranges: [{ startDate: start ?? { year: 1, month: 1, day: 1 }, endDate: end ?? { year: 9999, month: 12, day: 31 } }] } }
      : {}),
  };
}

export const LIBRARY_CHANGE_NOTE =
  'Since 2025-03-31 the Library API lists only photos and videos this app created. ' +
  'The rest of your library is reachable through the Picker API: run `gphotos-backup pick --dest ...` and choose items in Google Photos ' +
  '(a Google Takeout import is planned).';

export function summaryLines(summary: BackupSummary): string[] {
  const lines = [
    `Backup ${summary.status}: ${summary.listed} listed, ${summary.stored} stored (${formatBytes(summary.storedBytes)}), ` +
      `${summary.skipped} already there, ${summary.failed} failed.`,
  ];
  lines.push(...failureLines(summary));
  if (summary.stillProcessing.length > 0) {
    lines.push(`${summary.stillProcessing.length} videos were still processing at Google; run the backup again later to fetch them:`);
    for (const d of summary.stillProcessing.slice(0, 10)) lines.push(`  ${d.filename} (${d.id})`);
  }
  if (summary.listed === 0) lines.push(LIBRARY_CHANGE_NOTE);
  return lines;
}

/** Which items failed and what happens to them; empty when none did. */
export function failureLines(p: Pick<BackupSummary, 'failed' | 'recentFailures'>): string[] {
  if (p.failed === 0) return [];
  const lines = p.recentFailures.map((f) => `  failed: ${itemLabel(f)}${f.filename ? ` (${f.id})` : ''}${f.attempts && f.attempts > 1 ? ` after ${f.attempts} tries` : ''}: ${f.reason}`);
  if (p.failed > p.recentFailures.length) lines.push(`  ... and ${p.failed - p.recentFailures.length} more`);
  lines.push(`${p.failed} item${p.failed === 1 ? '' : 's'} could not be stored; the next run tries ${p.failed === 1 ? 'it' : 'them'} again (all failures: .gphotos-backup/failures.jsonl in the destination).`);
  return lines;
}

/** Exit code of a finished backup: 1 when any item could not be stored. */
export function summaryExitCode(summary: Pick<BackupSummary, 'failed'>): number {
  return summary.failed > 0 ? EXIT.failed : EXIT.ok;
}

/** Explains a failed run in terms a user can act on; `scopeNote` follows a missing-scope failure. */
export function failureMessage(error: unknown, scopeNote: string = LIBRARY_CHANGE_NOTE): string {
  let cause: unknown = error instanceof WorkflowFailedError ? error.cause : error;
  while (cause instanceof Error && cause.cause instanceof Error && !(cause instanceof ApplicationFailure)) cause = cause.cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  if (cause instanceof ApplicationFailure && cause.type === 'insufficient-scope') return `${message}\n${scopeNote}`;
  return message;
}

export const BACKUP_OPTIONS = {
  ...RUN_OPTIONS,
  media: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  'processing-wait': { type: 'string' },
  'quota-reset': { type: 'string' },
} as const;

/** The workflow input the flags ask for; bad values are usage errors. */
export function backupInput(parsed: ReturnType<typeof parse>): BackupInput {
  const quotaReset = stringOption(parsed, 'quota-reset') ?? DEFAULT_BACKUP_OPTIONS.quotaResetUtc;
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(quotaReset)) throw new UsageError(`--quota-reset must be HH:MM (UTC), got "${quotaReset}"`);
  const filters = searchFilters(choiceOption(parsed, 'media', ['photos', 'videos', 'all'] as const), stringOption(parsed, 'from'), stringOption(parsed, 'to'));
  return {
    account: accountRef(parsed),
    destination: destination(parsed),
    ...(filters ? { filters } : {}),
    options: {
      ...DEFAULT_BACKUP_OPTIONS,
      concurrency: intOption(parsed, 'concurrency', { min: 1, max: 64 }) ?? DEFAULT_BACKUP_OPTIONS.concurrency,
      ...maxRate(parsed),
      sidecars: flag(parsed, 'sidecars'),
      processingWaitSeconds: (intOption(parsed, 'processing-wait', { min: 0, max: 7 * 24 * 60 }) ?? DEFAULT_BACKUP_OPTIONS.processingWaitSeconds / 60) * 60,
      quotaResetUtc: quotaReset,
    },
  };
}

/** Waits for a workflow's end and prints its summary or its failure; returns the exit code. */
export async function reportOutcome<T>(
  workflowId: string,
  result: Promise<T>,
  json: boolean,
  report: { readonly label: string; readonly lines: (summary: T) => string[]; readonly exitCode: (summary: T) => number; readonly scopeNote?: string },
): Promise<number> {
  try {
    const summary = await result;
    if (json) console.log(JSON.stringify({ workflowId, summary }));
    else for (const line of report.lines(summary)) console.log(line);
    return report.exitCode(summary);
  } catch (error) {
    const message = failureMessage(error, report.scopeNote);
    if (json) console.log(JSON.stringify({ workflowId, error: message }));
    else console.error(`${report.label} failed: ${message}`);
    return EXIT.failed;
  }
}

export async function backupCommand(argv: readonly string[]): Promise<number> {
  const parsed = parse(argv, BACKUP_OPTIONS);
  if (flag(parsed, 'help')) {
    console.log(BACKUP_HELP);
    return EXIT.ok;
  }
  const input = backupInput(parsed);
  const [json, wait, follow] = [flag(parsed, 'json'), flag(parsed, 'wait'), flag(parsed, 'follow')];
  const workflowId = backupWorkflowId(input.account, input.destination);
  const where = destinationLabel(input.destination);
  const { client, target, close } = await connect();
  try {
    const handle = await startForDestination(client, backup, { taskQueue: target.taskQueue, workflowId, args: [input] }, { account: input.account, destination: input.destination, source: 'library' });
    const link = webUiLink(target, workflowId);
    if (json && !wait && !follow) {
      console.log(JSON.stringify({ workflowId, runId: handle.firstExecutionRunId, webUi: link ?? null }));
      return EXIT.ok;
    }
    if (!json) {
      console.log(`Backup ${workflowId} into ${where}`);
      if (link) console.log(`Web UI: ${link}`);
    }
    if (!wait && !follow) {
      console.log(`Follow it with \`gphotos-backup status ${workflowId}\` or \`gphotos-backup backup --dest ... --follow\`.`);
      return EXIT.ok;
    }
    if (follow && !json) await followProgress(handle, process.stderr);
    return await reportOutcome(workflowId, handle.result(), json, { label: 'Backup', lines: summaryLines, exitCode: summaryExitCode });
  } finally {
    await close();
  }
}
