// Takeout import end to end on the real dev server and a real worker: a multi-part zip Takeout
// with the naming quirks of the facts sheet (§8) goes into a folder through the CLI, a tgz one
// into a real S3 server. Every item is stored once with unchanged bytes, dated by its JSON, with
// its JSON and XMP sidecars; albums are listed; Trash and Failed Videos are left out; a re-import
// writes nothing; a truncated part is named, the rest imported, and the import completes once
// the part is whole.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, createWriteStream, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { ZipFile } from 'yazl';
import { openArchive } from '../src/sources/takeout/archive.js';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256Of } from '../src/cli/verify.js';
import { manifestFor, openSink, type DestinationSpec } from '../src/destination.js';
import type { ManifestEntry } from '../src/manifest/manifest.js';
import { dateFolder } from '../src/sinks/layout.js';
import { importTakeout } from '../src/workflows/import-takeout.js';
import { DEFAULT_TAKEOUT_OPTIONS, type TakeoutSummary } from '../src/workflows/takeout-messages.js';
import { runCli } from './harness/cli.js';
import { tempFilesUnder, walk } from './harness/files.js';
import { startS3Server, type S3TestServer } from './harness/s3.js';
import { startStack, type Stack } from './harness/stack.js';
import { truncatePart, writeTakeout, type ExpectedItem, type TakeoutFixture } from './harness/takeout-fixture.js';
import { tempDir } from './harness/tmp.js';

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

async function entries(dest: DestinationSpec): Promise<ManifestEntry[]> {
  return [...(await manifestFor(dest)).values()];
}

/** The manifest entry holding each expected item's bytes: exactly one per item. */
function entryOf(all: readonly ManifestEntry[], item: ExpectedItem): ManifestEntry {
  const found = all.filter((entry) => entry.sha256 === item.sha256);
  assert.equal(found.length, 1, `${item.label} (${item.name}) is stored once, found ${found.length}`);
  return found[0] as ManifestEntry;
}

/** When the item was taken: its JSON's photoTakenTime, else the EXIF time in the file. */
function takenAt(item: ExpectedItem): number | undefined {
  return item.takenAt ?? item.exifTakenAt;
}

function expectedFolder(item: ExpectedItem): string {
  const at = takenAt(item);
  return dateFolder(at === undefined ? undefined : new Date(at * 1000).toISOString());
}

/** What a person checks on disk: bytes, place in the layout, mtime, sidecars. */
function checkOnDisk(root: string, fixture: TakeoutFixture, all: readonly ManifestEntry[]): void {
  assert.equal(all.filter((e) => e.sameAs === undefined).length, fixture.items.length, 'one record per item, nothing else (Trash and Failed Videos left out)');
  for (const item of fixture.items) {
    const entry = entryOf(all, item);
    const path = join(root, entry.key);
    assert.equal(sha256(readFileSync(path)), item.sha256, `${item.label}: bytes unchanged`);
    assert.ok(entry.key.startsWith(`${expectedFolder(item)}/`), `${item.label}: ${entry.key} is under ${expectedFolder(item)}`);
    assert.equal(entry.source, 'takeout');
    const at = takenAt(item);
    if (at !== undefined) assert.equal(Math.round(statSync(path).mtimeMs / 1000), at, `${item.label}: mtime is the capture time`);
    if (item.json !== undefined) assert.equal(readFileSync(`${path}.json`, 'utf8'), item.json, `${item.label}: JSON sidecar as Takeout gave it`);
    const xmp = readFileSync(`${path}.xmp`, 'utf8');
    if (item.takenAt !== undefined) assert.match(xmp, new RegExp(`<exif:DateTimeOriginal>${new Date(item.takenAt * 1000).toISOString().slice(0, 19)}`), `${item.label}: XMP capture time`);
    if (item.geo) assert.match(xmp, /<exif:GPSLatitude>\d+,[\d.]+[NS]<\/exif:GPSLatitude>/, `${item.label}: XMP place`);
  }
}

function checkAlbums(text: string, fixture: TakeoutFixture, all: readonly ManifestEntry[]): void {
  const lines = text.trim().split('\n').map((line) => JSON.parse(line) as { folder: string; title: string; items: string[] });
  for (const album of fixture.albums) {
    const line = lines.find((l) => l.folder === album.folder);
    assert.ok(line, `album ${album.folder} is listed`);
    assert.equal(line.title, album.title);
    const expected = album.items.map((name) => {
      const item = fixture.items.find((i) => i.name === name && i.folders.includes(album.folder));
      assert.ok(item, `fixture item ${name} of ${album.folder}`);
      return entryOf(all, item).key;
    });
    assert.deepEqual([...line.items].sort(), expected.sort(), `album ${album.folder} lists its items' keys`);
  }
}

/** The bytes of one entry of an archive, read with the importer's own reader. */
async function entryBytes(part: string, path: string): Promise<Buffer> {
  const archive = await openArchive(part);
  const chunks: Buffer[] = [];
  try {
    await archive.read({ wanted: (entry) => entry.path === path }, async (_entry, body) => {
      for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
    });
  } finally {
    await archive.close();
  }
  assert.ok(chunks.length > 0, `${path} is in ${part}`);
  return Buffer.concat(chunks);
}

function lastJson<T>(stdout: string): T {
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as T;
}

/** Every file under the destination with its size and mtime (a rewrite changes the mtime). */
function snapshot(root: string): Map<string, string> {
  return new Map(walk(root).map((path) => [relative(root, path), `${statSync(path).size}@${statSync(path).mtimeMs}`]));
}

describe('import-takeout', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ preset: 'hostile' });
    await stack.spawnWorker('worker');
  });
  after(() => stack?.close());

  it('imports a three-part zip Takeout into a folder: every item once, bytes, dates, sidecars, albums; a re-import writes nothing', async () => {
    const fixture = await writeTakeout(tempDir('takeout-zip'), { format: 'zip', parts: 3, zip64: true });
    const root = join(tempDir('takeout-dest'), 'photos');
    const first = await runCli(['import-takeout', ...fixture.parts, '--dest', root, '--wait', '--json'], stack.env(), 300_000);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    const summary = lastJson<{ summary: TakeoutSummary }>(first.stdout).summary;
    assert.equal(summary.stored, fixture.items.length);
    assert.equal(summary.failed, 0);
    assert.equal(summary.unmatched, fixture.unmatched.length);
    assert.ok(summary.duplicates > 0, 'album copies were recognised as the year folder items');
    const dest: DestinationSpec = { kind: 'disk', path: root };
    const all = await entries(dest);
    checkOnDisk(root, fixture, all);
    checkAlbums(readFileSync(join(root, '.gphotos-backup', 'takeout-albums.jsonl'), 'utf8'), fixture, all);
    assert.deepEqual(tempFilesUnder(root), []);

    // What `status` says of it, by its id and among the recent runs.
    const { workflowId } = JSON.parse(first.stdout.trim().split('\n')[0] ?? '{}') as { workflowId: string };
    const status = await runCli(['status', workflowId, '--json'], stack.env());
    assert.equal(status.code, 0, status.stderr);
    assert.equal(lastJson<{ state: string; summary: TakeoutSummary }>(status.stdout).summary.stored, fixture.items.length);
    const recent = await runCli(['status'], stack.env());
    assert.match(recent.stdout, new RegExp(`takeout +completed +${workflowId}`));

    // Albums as folders of links to the stored photos.
    const links = await runCli(['albums', '--dest', root, '--json'], stack.env());
    assert.equal(links.code, 0, links.stderr);
    assert.equal(lastJson<{ albums: number }>(links.stdout).albums, fixture.albums.length);
    for (const album of fixture.albums) {
      const folder = join(root, 'Albums', album.title);
      assert.deepEqual(readdirSync(folder).length, album.items.length, `${album.title}: one link per item`);
      for (const name of readdirSync(folder)) assert.ok(all.some((e) => e.sha256 === sha256(readFileSync(join(folder, name)))), `${album.title}/${name} leads to a stored item`);
    }
    const twice = await runCli(['albums', '--dest', root, '--json'], stack.env());
    assert.equal(lastJson<{ linksMade: number }>(twice.stdout).linksMade, 0);

    const before = snapshot(root);
    // Again, naming the folder that holds the parts.
    const again = await runCli(['import-takeout', dirname(fixture.parts[0] as string), '--dest', root, '--wait', '--json'], stack.env(), 300_000);
    assert.equal(again.code, 0, again.stderr);
    const second = lastJson<{ summary: TakeoutSummary }>(again.stdout).summary;
    assert.equal(second.stored, 0);
    assert.equal(second.skipped, fixture.items.length);
    const changed = [...snapshot(root)].filter(([path, state]) => before.get(path) !== state && !path.startsWith('.gphotos-backup/') && !path.startsWith('Albums/'));
    assert.deepEqual(changed, [], 'a re-import writes no media file or sidecar');
  });

  it('a truncated last part is named and left out; importing again once it is whole completes the import', async () => {
    const fixture = await writeTakeout(tempDir('takeout-cut'), { format: 'zip', parts: 3, seed: 7 });
    const last = fixture.parts.at(-1) as string;
    const whole = await truncatePart(last, 0.6);
    const root = join(tempDir('takeout-cut-dest'), 'photos');
    const cut = await runCli(['import-takeout', ...fixture.parts, '--dest', root, '--wait'], stack.env(), 300_000);
    assert.equal(cut.code, 1, cut.stdout);
    assert.match(cut.stderr, new RegExp(last.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the error names the part');
    assert.match(cut.stdout, /Takeout import: \d+ items in 3 parts, \d+ stored/, 'what was imported is said first');
    const some = await entries({ kind: 'disk', path: root });
    const readable = fixture.items.filter((item) => item.copies.some((copy) => copy.part < fixture.parts.length));
    for (const item of readable) entryOf(some, item);
    assert.equal(some.length, readable.length, 'what the readable parts hold is imported, nothing else');
    assert.deepEqual(tempFilesUnder(root), []);

    // The whole part brings the JSON of media stored undated: they move to their dated folders.
    copyFileSync(whole, last);
    const done = await runCli(['import-takeout', ...fixture.parts, '--dest', root, '--wait', '--json'], stack.env(), 300_000);
    assert.equal(done.code, 0, done.stderr + done.stdout);
    const all = await entries({ kind: 'disk', path: root });
    checkOnDisk(root, fixture, all);
    const files = walk(root).map((path) => relative(root, path)).filter((path) => !path.startsWith('.gphotos-backup/'));
    const stored = new Set(all.flatMap((e) => [e.key, `${e.key}.json`, `${e.key}.xmp`]));
    assert.deepEqual(files.filter((path) => !stored.has(path)), [], 'no undated copy is left behind');
  });

  it('parts imported on different days: a JSON in a later part dates the photo an earlier import stored', async () => {
    const fixture = await writeTakeout(tempDir('takeout-days'), { format: 'zip', parts: 3, seed: 9 });
    const root = join(tempDir('takeout-days-dest'), 'photos');
    const [first, ...rest] = fixture.parts as [string, ...string[]];
    const day1 = await runCli(['import-takeout', first, '--dest', root, '--wait'], stack.env(), 300_000);
    assert.equal(day1.code, 0, day1.stderr);
    const day2 = await runCli(['import-takeout', ...rest, '--dest', root, '--wait', '--json'], stack.env(), 300_000);
    assert.equal(day2.code, 0, day2.stderr);
    const all = await entries({ kind: 'disk', path: root });
    checkOnDisk(root, fixture, all);
    const files = walk(root).map((path) => relative(root, path)).filter((path) => !path.startsWith('.gphotos-backup/'));
    const stored = new Set(all.flatMap((e) => [e.key, `${e.key}.json`, `${e.key}.xmp`]));
    assert.deepEqual(files.filter((path) => !stored.has(path)), [], 'no undated copy is left behind');
  });

  it('a damaged entry fails its item only; an archive with no Google Photos in it is refused', async () => {
    const fixture = await writeTakeout(tempDir('takeout-damaged'), { format: 'zip', parts: 1, seed: 5 });
    const part = fixture.parts[0] as string;
    const victim = fixture.items.find((item) => item.label === 'supplemental') as ExpectedItem;
    const body = await entryBytes(part, victim.copies[0]?.path as string);
    const zip = readFileSync(part);
    const at = zip.indexOf(body);
    assert.ok(at > 0, 'the stored entry is found in the zip');
    const flip = at + Math.floor(body.length / 2);
    zip[flip] = (zip[flip] ?? 0) ^ 0xff;
    writeFileSync(part, zip);
    const root = join(tempDir('takeout-damaged-dest'), 'photos');
    const result = await runCli(['import-takeout', part, '--dest', root, '--wait', '--json'], stack.env(), 300_000);
    assert.equal(result.code, 1, result.stdout);
    const summary = lastJson<{ summary: TakeoutSummary }>(result.stdout).summary;
    assert.equal(summary.failed, 1);
    assert.equal(summary.recentFailures[0]?.filename, victim.name);
    assert.match(summary.recentFailures[0]?.reason ?? '', /CRC/);
    assert.equal(summary.stored, fixture.items.length - 1, 'every other item is stored');

    const other = join(tempDir('takeout-youtube'), 'takeout-20250102T030405Z-001.zip');
    const zipped = new ZipFile();
    zipped.addBuffer(Buffer.from('a video list'), 'Takeout/YouTube and YouTube Music/history.html');
    await new Promise<void>((resolve, reject) => {
      zipped.outputStream.pipe(createWriteStream(other)).on('close', resolve).on('error', reject);
      zipped.end();
    });
    const refused = await runCli(['import-takeout', other, '--dest', join(tempDir('takeout-youtube-dest'), 'photos'), '--wait'], stack.env(), 120_000);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /no Google Photos files in .*takeout-20250102T030405Z-001\.zip/);
  });

  it('--include-trash and --include-failed-videos import those folders too', async () => {
    const fixture = await writeTakeout(tempDir('takeout-trash'), { format: 'zip', parts: 1, seed: 13 });
    const root = join(tempDir('takeout-trash-dest'), 'photos');
    const result = await runCli(['import-takeout', ...fixture.parts, '--dest', root, '--include-trash', '--include-failed-videos', '--wait', '--json'], stack.env(), 300_000);
    assert.equal(result.code, 0, result.stderr);
    const summary = lastJson<{ summary: TakeoutSummary }>(result.stdout).summary;
    const skippedMedia = fixture.skipped.filter((path) => !path.endsWith('.json'));
    assert.equal(skippedMedia.length, 2, 'the fixture has a photo in Trash and a video in Failed Videos');
    assert.equal(summary.stored, fixture.items.length + skippedMedia.length);
    assert.equal(summary.leftOut, 0);
    const names = (await entries({ kind: 'disk', path: root })).map((e) => e.key.split('/').pop());
    for (const path of skippedMedia) assert.ok(names.includes(path.split('/').pop()), `${path} is stored`);
  });

  it('bad usage: no parts, a missing path, no --dest', async () => {
    const none = await runCli(['import-takeout', '--dest', tempDir('x')], stack.env());
    assert.equal(none.code, 2);
    const missing = await runCli(['import-takeout', '/nonexistent/takeout-1.zip', '--dest', tempDir('x')], stack.env());
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nonexistent\/takeout-1\.zip does not exist/);
    const noDest = await runCli(['import-takeout', tempDir('x')], stack.env());
    assert.equal(noDest.code, 2);
    const help = await runCli(['import-takeout', '--help'], stack.env());
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--include-trash/);
  });
});

describe('import-takeout into S3', () => {
  let stack: Stack;
  let s3: S3TestServer;
  before(async () => {
    [stack, s3] = await Promise.all([startStack({ preset: 'hostile' }), startS3Server({ bucket: 'photos' })]);
    Object.assign(process.env, s3.env());
  });
  after(async () => {
    await stack?.close();
    await s3?.stop();
  });

  it('imports a tgz Takeout into a bucket exactly as into a folder: a cut part left out, then completed; a re-import writes nothing', async () => {
    const fixture = await writeTakeout(tempDir('takeout-tgz'), { format: 'tgz', parts: 2, seed: 3, topFolder: 'Google Fotos' });
    const last = fixture.parts.at(-1) as string;
    const whole = await truncatePart(last, 0.5);
    const dest: DestinationSpec = { kind: 's3', bucket: 'photos', prefix: 'takeout', endpoint: s3.endpoint };
    const input = { destination: dest, parts: fixture.parts, options: { ...DEFAULT_TAKEOUT_OPTIONS, heartbeatTimeoutSeconds: 10 } };
    const run = (workflowId: string) => stack.client.workflow.execute(importTakeout, { taskQueue: stack.taskQueue, workflowId, args: [input] });
    const { worker, close } = await stack.inProcessWorker();
    try {
      await worker.runUntil(async () => {
        await assert.rejects(run('takeout/s3-cut'), (error: Error) => String((error.cause as Error | undefined)?.message).includes(last));
        copyFileSync(whole, last);
        const summary = await run('takeout/s3');
        assert.equal(summary.failed, 0);
        const all = await entries(dest);
        assert.equal(all.length, fixture.items.length);
        const sink = openSink(dest);
        for (const item of fixture.items) {
          const entry = entryOf(all, item);
          assert.equal(await sha256Of(sink, entry.key), item.sha256, `${item.label}: bytes unchanged in the bucket`);
          assert.ok(entry.key.startsWith(`${expectedFolder(item)}/`), `${item.label}: ${entry.key} under ${expectedFolder(item)}`);
          if (item.json !== undefined) assert.equal(await sha256Of(sink, `${entry.key}.json`), sha256(item.json), `${item.label}: JSON sidecar`);
        }
        const again = await run('takeout/s3-again');
        assert.equal(again.stored, 0);
        assert.equal(again.skipped, fixture.items.length);
      });
    } finally {
      await close();
    }
  });
});
