// `gphotos-backup import-takeout`: starts (or attaches to) the durable import of Google Takeout
// archive parts into a destination, prints its workflow id and Web UI link, and optionally
// follows or waits for it.
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { destinationHash, destinationLabel, type DestinationSpec } from '../destination.js';
import { FAILURE_TYPES } from '../workflows/messages.js';
import { importTakeout } from '../workflows/import-takeout.js';
import { DEFAULT_TAKEOUT_OPTIONS, takeoutProgressQuery, type TakeoutInput, type TakeoutProgress, type TakeoutSummary } from '../workflows/takeout-messages.js';
import { flag, intOption, parse, type Parsed } from './args.js';
import { failureLines, reportOutcome } from './backup.js';
import { EXIT, UsageError } from './exit.js';
import { withRunningBatches } from './live-progress.js';
import { barLine, follow, formatBytes, type Rate } from './progress.js';
import { startForDestination } from './start.js';
import { connect, destination, S3_HELP, S3_OPTIONS, webUiLink } from './target.js';

export const IMPORT_TAKEOUT_HELP = `Usage: gphotos-backup import-takeout PART_OR_FOLDER... --dest DIR|s3://BUCKET/PREFIX [options]

Import a Google Takeout export of Google Photos: the only route to the original files (with
their GPS data and unchanged video) and to a whole library at once. Give every part of the
export (takeout-…-001.zip, -002.zip, … or .tgz), a folder holding them, or folders where parts
were extracted; a photo's JSON may sit in another part than the photo itself. Each item is
stored once (a photo in a year folder and in albums too is one item) under YYYY/MM/<name> by
its capture time (the JSON's, else the one inside the file), with its bytes unchanged, its
mtime set, the JSON as Takeout gave it (<file>.json) and an XMP sidecar (<file>.xmp: capture
time, place, description, favourite, people) that photo managers read. Albums are listed in
.gphotos-backup/takeout-albums.jsonl (\`gphotos-backup albums\` makes folders of links). A photo
already stored from the API is replaced by its Takeout original in place. Items already in the
destination from an earlier import are not written again. Trash and Failed Videos are left out
unless asked for. A part that cannot be read (still downloading, damaged) is named and left
out: the rest is imported, and importing again once the part is whole completes the import.
The paths must be readable by the worker (the same machine, or the same mount in a container).
A worker must be running (\`gphotos-backup worker\` or \`gphotos-backup dev\`).

Options:
  --dest DEST           destination folder or s3://bucket/prefix (required)
${S3_HELP}
  --include-trash       import the Trash folder too
  --include-failed-videos
                        import the "Failed Videos" folder too
  --concurrency N       parts read at once (default: ${DEFAULT_TAKEOUT_OPTIONS.concurrency})
  --follow              show live progress until the import ends
  --wait                block until the import ends
  --json                print machine-readable output
  -h, --help            show this help

Exit codes (with --wait or --follow): 0 every item is stored; 1 some items or parts could not be
stored or read (they are listed); 2 bad usage (a path that does not exist, no --dest).`;

export const IMPORT_TAKEOUT_OPTIONS = {
  ...S3_OPTIONS,
  dest: { type: 'string' },
  concurrency: { type: 'string' },
  'include-trash': { type: 'boolean' },
  'include-failed-videos': { type: 'boolean' },
  follow: { type: 'boolean' },
  wait: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

/** Business id: importing into the same destination again while an import runs attaches to it. */
export function takeoutWorkflowId(dest: DestinationSpec): string {
  return `takeout/${destinationHash(dest)}`;
}

const ARCHIVE_NAME = /\.(?:zip|tgz|tar\.gz)$/i;

/**
 * A folder that holds archive parts (and nothing extracted: no `Takeout` folder) stands for those
 * parts, sorted by name; any other folder is an extracted part.
 */
async function expandFolder(folder: string): Promise<string[]> {
  const names = await readdir(folder);
  const archives = names.filter((name) => ARCHIVE_NAME.test(name)).sort();
  if (archives.length === 0 || names.some((name) => name.toLowerCase() === 'takeout')) return [folder];
  return archives.map((name) => join(folder, name));
}

/** The parts as absolute paths; a path that does not exist is a usage error. */
async function partsOf(paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) throw new UsageError('name the Takeout parts to import: takeout-…-001.zip … (or extracted folders)');
  const parts: string[] = [];
  for (const path of paths.map((p) => resolve(p))) {
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new UsageError(`${path} does not exist`);
    if (info.isDirectory()) parts.push(...(await expandFolder(path)));
    else if (info.isFile()) parts.push(path);
    else throw new UsageError(`${path} is neither a file nor a folder`);
  }
  return [...new Set(parts)];
}

export async function takeoutInput(parsed: Parsed): Promise<TakeoutInput> {
  return {
    destination: destination(parsed),
    parts: await partsOf(parsed.positionals),
    options: {
      ...DEFAULT_TAKEOUT_OPTIONS,
      includeTrash: flag(parsed, 'include-trash'),
      includeFailedVideos: flag(parsed, 'include-failed-videos'),
      concurrency: intOption(parsed, 'concurrency', { min: 1, max: 16 }) ?? DEFAULT_TAKEOUT_OPTIONS.concurrency,
    },
  };
}

export function takeoutLine(p: TakeoutProgress, rate: Rate): string {
  if (p.status === 'scanning' || p.status === 'planning') return `${p.status}: ${p.partsScanned} of ${p.parts} parts scanned`;
  const tail = `${p.failed > 0 ? ` · ${p.failed} failed` : ''} · ${p.partsImported}/${p.parts} parts${p.status === 'importing' ? '' : ` · ${p.status}`}`;
  return barLine({ done: p.stored + p.skipped + p.failed, total: p.listed, complete: true, bytes: p.storedBytes }, rate, tail);
}

/** `count what:`, then a line per name of the sample, then how many more; nothing when count is 0. */
function sampleLines(count: number, sample: readonly string[], label: string, what: string): string[] {
  if (count === 0) return [];
  const more = count > sample.length ? [`  ... and ${count - sample.length} more`] : [];
  return [`${count} ${what}:`, ...sample.map((name) => `  ${label}: ${name}`), ...more];
}

export function takeoutSummaryLines(s: TakeoutSummary): string[] {
  const lines = [`Takeout import: ${s.listed} items in ${s.parts} parts, ${s.stored} stored (${formatBytes(s.storedBytes)}), ${s.skipped} already there, ${s.failed} failed.`];
  if (s.duplicates > 0) lines.push(`${s.duplicates} copies in album folders were the same items (stored once); ${s.albums} albums listed in .gphotos-backup/takeout-albums.jsonl.`);
  else if (s.albums > 0) lines.push(`${s.albums} albums listed in .gphotos-backup/takeout-albums.jsonl.`);
  lines.push(...sampleLines(s.unmatched, s.unmatchedSample, 'no JSON', 'media files had no JSON sidecar (stored anyway, dated by the time inside the file, else under unknown-date/)'));
  lines.push(...sampleLines(s.unreadableSidecars ?? 0, s.unreadableSample ?? [], 'unreadable JSON', 'JSON sidecars could not be read (cut short or damaged: kept as they are; their items are dated by the time inside the file)'));
  if (s.unusedSidecars > 0) lines.push(`${s.unusedSidecars} JSON sidecars describe no media file of these parts (their photos may be in a part not imported yet).`);
  if (s.leftOut > 0) lines.push(`${s.leftOut} files in Trash or Failed Videos were left out (--include-trash, --include-failed-videos).`);
  lines.push(...failureLines(s));
  return lines;
}

/** The summary a run that failed on unreadable parts carries in its failure's details. */
function partialSummary(error: unknown): TakeoutSummary | undefined {
  const cause = error instanceof WorkflowFailedError ? error.cause : undefined;
  if (!(cause instanceof ApplicationFailure) || cause.type !== FAILURE_TYPES.takeoutArchive) return undefined;
  return cause.details?.[0] as TakeoutSummary | undefined;
}

export async function importTakeoutCommand(argv: readonly string[]): Promise<number> {
  const parsed = parse(argv, IMPORT_TAKEOUT_OPTIONS, true);
  if (flag(parsed, 'help')) {
    console.log(IMPORT_TAKEOUT_HELP);
    return EXIT.ok;
  }
  const input = await takeoutInput(parsed);
  const [json, wait, following] = [flag(parsed, 'json'), flag(parsed, 'wait'), flag(parsed, 'follow')];
  const workflowId = takeoutWorkflowId(input.destination);
  const { client, target, close } = await connect();
  try {
    const handle = await startForDestination(client, importTakeout, { taskQueue: target.taskQueue, workflowId, args: [input] }, { destination: input.destination, source: 'takeout' });
    const link = webUiLink(target, workflowId);
    if (json) console.log(JSON.stringify({ workflowId, runId: handle.firstExecutionRunId, webUi: link ?? null }));
    else {
      console.log(`Takeout import ${workflowId}: ${input.parts.length} part${input.parts.length === 1 ? '' : 's'} into ${destinationLabel(input.destination)}`);
      if (link) console.log(`Web UI: ${link}`);
    }
    if (!wait && !following) return EXIT.ok;
    if (following && !json) await follow(handle, process.stderr, { read: async () => withRunningBatches(handle, await handle.query(takeoutProgressQuery)), line: takeoutLine });
    // A run that ends failed on parts it could not read imported the others: say what it did first.
    const result = handle.result().catch((error: unknown) => {
      const partial = partialSummary(error);
      if (partial && !json) for (const line of takeoutSummaryLines(partial)) console.log(line);
      throw error;
    });
    return await reportOutcome(workflowId, result, json, { label: 'Takeout import', lines: takeoutSummaryLines, exitCode: (s) => (s.failed > 0 ? EXIT.failed : EXIT.ok) });
  } finally {
    await close();
  }
}
