// `gphotos-backup verify`: re-hashes every file the manifest lists and reports what is missing
// or does not match (restic's habit of checking what it stored).
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Manifest } from '../manifest/manifest.js';
import { destinationLabel, manifestFor, openSink } from '../destination.js';
import type { Sink } from '../sinks/sink.js';
import { flag, parse } from './args.js';
import { EXIT } from './exit.js';
import { formatBytes } from './progress.js';
import { destination, S3_HELP, S3_OPTIONS } from './target.js';

export const VERIFY_HELP = `Usage: gphotos-backup verify --dest DIR|s3://BUCKET/PREFIX [--json]

Re-read every file or object recorded in the destination's manifest (.gphotos-backup/) and
compare its size and sha256 with what was stored. Exit 0 when all match, 1 when something is
missing or corrupt (a later backup run downloads such items again).

Options:
  --dest DEST           destination folder or s3://bucket/prefix (required)
${S3_HELP}
  --json                print machine-readable output
  -h, --help            show this help`;

export interface VerifyReport {
  readonly checked: number;
  readonly bytes: number;
  readonly missing: string[];
  readonly corrupt: string[];
}

/** The sha256 of a stored object, read back from the destination. */
export async function sha256Of(sink: Sink, key: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(sink.read(key), hash);
  return hash.digest('hex');
}

export async function verifyDestination(sink: Sink, manifest: Manifest, onItem?: (n: number) => void): Promise<VerifyReport> {
  const report: VerifyReport = { checked: 0, bytes: 0, missing: [], corrupt: [] };
  let checked = 0;
  let bytes = 0;
  for (const entry of manifest.entries()) {
    const stat = await sink.stat(entry.key);
    if (!stat) report.missing.push(entry.key);
    else if (stat.size !== entry.size || (await sha256Of(sink, entry.key)) !== entry.sha256) report.corrupt.push(entry.key);
    else bytes += entry.size;
    checked += 1;
    onItem?.(checked);
  }
  return { ...report, checked, bytes };
}

export async function verifyCommand(argv: readonly string[]): Promise<number> {
  const parsed = parse(argv, { dest: { type: 'string' }, ...S3_OPTIONS, json: { type: 'boolean' } });
  if (flag(parsed, 'help')) {
    console.log(VERIFY_HELP);
    return EXIT.ok;
  }
  const dest = destination(parsed);
  const manifest = await manifestFor(dest);
  const report = await verifyDestination(openSink(dest), manifest, (n) => {
    if (process.stderr.isTTY) process.stderr.write(`\rchecked ${n}/${manifest.size}`);
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  const ok = report.missing.length === 0 && report.corrupt.length === 0;
  if (flag(parsed, 'json')) console.log(JSON.stringify(report));
  else {
    console.log(`${report.checked} files checked, ${formatBytes(report.bytes)} verified; ${report.missing.length} missing, ${report.corrupt.length} corrupt.`);
    for (const key of report.missing) console.log(`  missing: ${key}`);
    for (const key of report.corrupt) console.log(`  corrupt: ${key}`);
    if (report.checked === 0) console.log(`No manifest entries in ${destinationLabel(dest)}: nothing has been backed up there yet.`);
  }
  return ok ? EXIT.ok : EXIT.failed;
}
