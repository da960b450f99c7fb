// `gphotos-backup verify`: checks what the manifest lists against the destination, at one of two
// levels as restic's check does: quick looks at each object (a stat or a HEAD: it exists, has its
// recorded size and, in S3, carries the item's media id), full also re-reads and re-hashes every
// byte. `--sample n/t` checks one of t fixed slices of the items. What is missing or corrupt is
// marked for repair in the destination's metadata (manifest/repair.ts), and the next backup run
// fetches exactly those items again.
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Manifest, ManifestEntry } from '../manifest/manifest.js';
import { repairMarkFor, type RepairProblem } from '../manifest/repair.js';
import { destinationLabel, manifestFor, openSink } from '../destination.js';
import type { Sink } from '../sinks/sink.js';
import { choiceOption, flag, parse, stringOption } from './args.js';
import { EXIT, UsageError } from './exit.js';
import { formatBytes } from './progress.js';
import { destination, S3_HELP, S3_OPTIONS } from './target.js';

export const VERIFY_HELP = `Usage: gphotos-backup verify --dest DIR|s3://BUCKET/PREFIX [--level quick|full] [--sample N/T] [--json]

Check the files or objects recorded in the destination's manifest (.gphotos-backup/). Exit 0 when
all are intact, 1 when something is missing or corrupt. What is found bad is marked for repair
(.gphotos-backup/repair.jsonl, or .gphotos-backup/repair/ in S3): the next backup run downloads
exactly those items again and replaces them.

Options:
  --dest DEST           destination folder or s3://bucket/prefix (required)
  --level full          re-read every byte: size and sha256 must match the manifest (default).
                        Objects in archive storage (GLACIER, DEEP_ARCHIVE) cannot be read: they
                        are checked as at quick and counted apart
  --level quick         look without reading: each file or object exists with its recorded size
                        and, in S3, carries the item's media id (one stat or HEAD per item; cheap
                        enough after every backup, and all that archive storage classes allow)
  --sample N/T          check only the N-th of T slices of the items (by a hash of the item id,
                        the same on every run): T runs with N = 1..T check every item once
${S3_HELP}
  --json                print machine-readable output: level, sample, counts (missingCount,
                        corruptCount), and the first 1000 missing and corrupt items (key, id);
                        without it, each bad item is printed as it is found
  -h, --help            show this help`;

export type VerifyLevel = 'quick' | 'full';
export const VERIFY_LEVELS: readonly VerifyLevel[] = ['quick', 'full'];

/** The n-th (1-based) of t slices of the items. */
export interface Sample {
  readonly n: number;
  readonly t: number;
}

export interface Finding {
  readonly key: string;
  readonly id: string;
  /** What was wrong with a corrupt one, e.g. "sha256 differs". */
  readonly detail?: string;
}

export interface VerifyReport {
  readonly level: VerifyLevel;
  /** "n/t", or null when every item was checked. */
  readonly sample: string | null;
  readonly checked: number;
  /** Bytes of the items found intact: re-hashed at full, their sizes confirmed at quick. */
  readonly bytes: number;
  /** Intact as far as a HEAD tells, but in archive storage: bytes not read at full. */
  readonly archived: number;
  readonly missingCount: number;
  readonly corruptCount: number;
  /** The first FINDINGS_KEPT of each (the repair marks name them all). */
  readonly missing: Finding[];
  readonly corrupt: Finding[];
}

/** Findings of each kind a report keeps; more are counted, marked for repair and passed to onFinding. */
export const FINDINGS_KEPT = 1000;

export interface VerifyOptions {
  readonly level?: VerifyLevel;
  readonly sample?: Sample;
  /** Called for every manifest entry looked at; `checked` is false for those outside the sample. */
  readonly onEntry?: (entry: ManifestEntry, checked: boolean) => void;
  /** Called for every item found missing or corrupt, as it is found. */
  readonly onFinding?: (problem: RepairProblem, finding: Finding) => void;
}

/** The sha256 of a stored object, read back from the destination. */
export async function sha256Of(sink: Sink, key: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(sink.read(key), hash);
  return hash.digest('hex');
}

/** The slice (1..t) an item falls in: from a hash of its id, so the same on every run and machine. */
export function sliceOf(id: string, t: number): number {
  return (createHash('sha256').update(id).digest().readUInt32BE(0) % t) + 1;
}

export function parseSample(text: string): Sample {
  const match = /^\s*(\d{1,9})\s*\/\s*(\d{1,9})\s*$/.exec(text);
  const n = Number(match?.[1]);
  const t = Number(match?.[2]);
  if (!match || n < 1 || n > t) throw new UsageError(`--sample must be N/T with 1 <= N <= T (e.g. 1/5 for the first of five slices), got "${text}"`);
  return { n, t };
}

type Outcome = { readonly ok: true; readonly archived?: boolean } | { readonly ok: false; readonly problem: RepairProblem; readonly detail?: string };

/** One entry at one level: a stat or HEAD first, then (full) the bytes. */
async function checkEntry(sink: Sink, entry: ManifestEntry, level: VerifyLevel): Promise<Outcome> {
  const head = await sink.head(entry.key);
  if (!head) return { ok: false, problem: 'missing' };
  if (head.size !== entry.size) return { ok: false, problem: 'corrupt', detail: `${head.size} bytes, ${entry.size} recorded` };
  if (sink.carriesMediaId && head.mediaId !== entry.id) {
    return { ok: false, problem: 'corrupt', detail: head.mediaId === undefined ? 'carries no media id' : `carries media id ${head.mediaId}` };
  }
  if (level === 'quick') return { ok: true };
  if (head.archived) return { ok: true, archived: true };
  if ((await sha256Of(sink, entry.key)) !== entry.sha256) return { ok: false, problem: 'corrupt', detail: 'sha256 differs' };
  return { ok: true };
}

interface Tally {
  checked: number;
  bytes: number;
  archived: number;
  missingCount: number;
  corruptCount: number;
  readonly missing: Finding[];
  readonly corrupt: Finding[];
}

/** Counts the outcome; a bad item is reported and marked for repair (once). */
async function tally(counts: Tally, entry: ManifestEntry, outcome: Outcome, manifest: Manifest, onFinding: VerifyOptions['onFinding']): Promise<void> {
  counts.checked += 1;
  if (outcome.ok) {
    if (outcome.archived) counts.archived += 1;
    else counts.bytes += entry.size;
    return;
  }
  const finding = { key: entry.key, id: entry.id, ...(outcome.detail !== undefined ? { detail: outcome.detail } : {}) };
  const kept = outcome.problem === 'missing' ? counts.missing : counts.corrupt;
  if (kept.length < FINDINGS_KEPT) kept.push(finding);
  if (outcome.problem === 'missing') counts.missingCount += 1;
  else counts.corruptCount += 1;
  onFinding?.(outcome.problem, finding);
  if (!manifest.needsRepair(entry.id)) await manifest.markForRepair(repairMarkFor(entry, outcome.problem, outcome.detail));
}

/**
 * Checks the manifest's entries (one pass, no copy of them) against the sink, and marks what is
 * missing or corrupt for repair; the marks are flushed even when a check fails half way.
 */
export async function verifyDestination(sink: Sink, manifest: Manifest, options: VerifyOptions = {}): Promise<VerifyReport> {
  const level = options.level ?? 'full';
  const { sample } = options;
  const counts: Tally = { checked: 0, bytes: 0, archived: 0, missingCount: 0, corruptCount: 0, missing: [], corrupt: [] };
  try {
    for (const entry of manifest.values()) {
      // A sameAs record stores nothing of its own: its original's check covers the file.
      const checked = entry.sameAs === undefined && (!sample || sliceOf(entry.id, sample.t) === sample.n);
      if (checked) await tally(counts, entry, await checkEntry(sink, entry, level), manifest, options.onFinding);
      options.onEntry?.(entry, checked);
    }
  } finally {
    await manifest.flush();
  }
  return { level, sample: sample ? `${sample.n}/${sample.t}` : null, ...counts };
}

function printReport(report: VerifyReport, label: string): void {
  const intact = report.level === 'full' ? 'verified' : 'present with their recorded sizes';
  const scope = report.sample ? `, sample ${report.sample}` : '';
  console.log(`${report.checked} files checked (${report.level}${scope}), ${formatBytes(report.bytes)} ${intact}; ${report.missingCount} missing, ${report.corruptCount} corrupt.`);
  if (report.archived > 0) console.log(`${report.archived} objects in archive storage could not be read: their size and media id were checked only.`);
  const bad = report.missingCount + report.corruptCount;
  if (bad > 0) console.log(`Marked for repair: the next backup run downloads ${bad === 1 ? 'this item' : `these ${bad} items`} again.`);
  if (report.checked === 0 && !report.sample) console.log(`No manifest entries in ${label}: nothing has been backed up there yet.`);
}

export async function verifyCommand(argv: readonly string[]): Promise<number> {
  const parsed = parse(argv, { dest: { type: 'string' }, level: { type: 'string' }, sample: { type: 'string' }, ...S3_OPTIONS, json: { type: 'boolean' } });
  if (flag(parsed, 'help')) {
    console.log(VERIFY_HELP);
    return EXIT.ok;
  }
  const level = choiceOption(parsed, 'level', VERIFY_LEVELS) ?? 'full';
  const sampleText = stringOption(parsed, 'sample');
  const sample = sampleText === undefined ? undefined : parseSample(sampleText);
  const dest = destination(parsed);
  const manifest = await manifestFor(dest);
  const tty = process.stderr.isTTY;
  const total = tty ? manifest.size : 0; // a count over the whole index: once, not per item
  let seen = 0;
  const json = flag(parsed, 'json');
  const report = await verifyDestination(openSink(dest), manifest, {
    level,
    ...(sample ? { sample } : {}),
    onEntry: (_entry, checked) => {
      seen += 1;
      if (tty && (checked || seen % 1000 === 0)) process.stderr.write(`\rverifying ${seen}/${total}`);
    },
    // Findings are printed as they are found: a report of a million lines is never held whole.
    onFinding: json ? undefined : (problem, { key, id, detail }) => {
      if (tty) process.stderr.write('\r\x1b[K');
      console.log(`  ${problem}: ${key} (${id})${detail !== undefined ? `: ${detail}` : ''}`);
    },
  });
  if (tty) process.stderr.write('\n');
  if (json) console.log(JSON.stringify(report));
  else printReport(report, destinationLabel(dest));
  return report.missingCount === 0 && report.corruptCount === 0 ? EXIT.ok : EXIT.failed;
}
