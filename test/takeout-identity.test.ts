// Which files of a Takeout are one photo, end to end on the real dev server and a real worker.
// Takeout numbers same-named files per folder, so one photo can be `IMG(1).JPG` in its year
// folder and `IMG.JPG` in an album: it is stored once. Two different photos with one name and one
// size (a camera counter that wrapped, RAW files of one size) in two year folders are two items,
// in a tgz and in an extracted folder too. The same export imported as zip, then as tgz, then
// extracted, is stored once. The albums index keeps the albums of imports this worker's catalog
// does not know (another machine, a lost cache).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import * as tar from 'tar-stream';
import { ZipFile } from 'yazl';
import { manifestFor } from '../src/destination.js';
import type { ManifestEntry } from '../src/manifest/manifest.js';
import type { TakeoutSummary } from '../src/workflows/takeout-messages.js';
import { runCli } from './harness/cli.js';
import type { ManagedProcess } from '../src/devserver/process.js';
import { walk } from './harness/files.js';
import { startStack, type Stack } from './harness/stack.js';
import { tempDir } from './harness/tmp.js';

interface File {
  readonly path: string;
  readonly body: Buffer;
}

const TOP = 'Takeout/Google Photos';
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Bytes of a small photo that differ by seed (a JPEG header, then noise). */
function photo(seed: number, size = 4096): Buffer {
  const bytes = Buffer.alloc(size);
  let x = seed * 2654435761;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
  return bytes;
}

function sidecar(title: string, takenAt: number): Buffer {
  const time = { timestamp: String(takenAt), formatted: new Date(takenAt * 1000).toUTCString() };
  return Buffer.from(`${JSON.stringify({ title, description: '', creationTime: time, photoTakenTime: time, url: `https://photos.google.com/photo/AF1Qip${title.replace(/\W/g, '')}` }, null, 2)}\n`);
}

async function writeZip(path: string, files: readonly File[]): Promise<void> {
  const zip = new ZipFile();
  for (const file of files) zip.addBuffer(file.body, file.path, { compress: file.path.endsWith('.json') });
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(path));
}

async function writeTgz(path: string, files: readonly File[]): Promise<void> {
  const pack = tar.pack();
  const written = pipeline(pack, createGzip(), createWriteStream(path));
  for (const file of files) pack.entry({ name: file.path, size: file.body.length }, file.body);
  pack.finalize();
  await written;
}

function writeFolder(root: string, files: readonly File[]): void {
  for (const file of files) {
    mkdirSync(dirname(join(root, file.path)), { recursive: true });
    writeFileSync(join(root, file.path), file.body);
  }
}

const A = photo(1);
// B has A's size: only its bytes tell them apart.
const B = photo(2);
const RAW_2019 = photo(3, 6000);
const RAW_2021 = photo(4, 6000);
const TAKEN_A = Date.UTC(2019, 5, 1, 10) / 1000;
const TAKEN_B = Date.UTC(2019, 5, 2, 11) / 1000;

/**
 * Photo A is `IMG_3479.JPG` and photo B `IMG_3479(1).JPG` in Photos from 2019; B is also in the
 * album Party, there as `IMG_3479.JPG` (the only one of that name in the album). Two different
 * RAW files of one size, both `DSC_0001.NEF` and without JSON, are in Photos from 2019 and 2021.
 */
const EXPORT: readonly File[] = [
  { path: `${TOP}/Photos from 2019/IMG_3479.JPG`, body: A },
  { path: `${TOP}/Photos from 2019/IMG_3479.JPG.json`, body: sidecar('IMG_3479.JPG', TAKEN_A) },
  { path: `${TOP}/Photos from 2019/IMG_3479(1).JPG`, body: B },
  { path: `${TOP}/Photos from 2019/IMG_3479.JPG(1).json`, body: sidecar('IMG_3479.JPG', TAKEN_B) },
  { path: `${TOP}/Photos from 2019/DSC_0001.NEF`, body: RAW_2019 },
  { path: `${TOP}/Photos from 2021/DSC_0001.NEF`, body: RAW_2021 },
  { path: `${TOP}/Party/metadata.json`, body: Buffer.from(JSON.stringify({ title: 'Party' })) },
  { path: `${TOP}/Party/IMG_3479.JPG`, body: B },
  { path: `${TOP}/Party/IMG_3479.JPG.json`, body: sidecar('IMG_3479.JPG', TAKEN_B) },
];

function lastJson<T>(stdout: string): T {
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as T;
}

async function stored(root: string): Promise<ManifestEntry[]> {
  return [...(await manifestFor({ kind: 'disk', path: root })).values()].filter((entry) => entry.sameAs === undefined);
}

/** The media files of the folder (no sidecars, no metadata) by their sha256. */
function mediaOnDisk(root: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const path of walk(root)) {
    if (path.includes('/.gphotos-backup/') || /\.(json|xmp)$/.test(path)) continue;
    const sha = sha256(readFileSync(path));
    found.set(sha, [...(found.get(sha) ?? []), path.slice(root.length + 1)]);
  }
  return found;
}

function albumsIndex(root: string): Map<string, string[]> {
  const text = readFileSync(join(root, '.gphotos-backup', 'takeout-albums.jsonl'), 'utf8');
  return new Map(text.trim().split('\n').map((line) => JSON.parse(line) as { folder: string; items: string[] }).map((album) => [album.folder, album.items]));
}

/**
 * Every photo of EXPORT once, where a person expects it; Party lists B's key. From an archive, B
 * is read from its year folder (`IMG_3479(1).JPG`); from an extracted folder, whichever copy comes
 * first is stored and the other recognised, so only "once" is checked there.
 */
function checkExport(root: string, fromArchive = true): void {
  const media = mediaOnDisk(root);
  const [a, b] = [media.get(sha256(A)), media.get(sha256(B))];
  assert.equal(a?.length, 1, 'photo A once');
  assert.equal(b?.length, 1, 'photo B once, not again from the album');
  assert.equal(media.get(sha256(RAW_2019))?.length, 1, 'the 2019 DSC_0001.NEF is stored');
  assert.equal(media.get(sha256(RAW_2021))?.length, 1, 'the 2021 DSC_0001.NEF, same name and size, is stored too');
  assert.equal(media.size, 4, 'nothing else');
  assert.deepEqual(albumsIndex(root).get('Party'), b);
  assert.equal(readFileSync(join(root, `${b?.[0] ?? ''}.json`), 'utf8'), sidecar('IMG_3479.JPG', TAKEN_B).toString(), "B's JSON beside it");
  if (fromArchive) assert.deepEqual([a, b], [['2019/06/IMG_3479.JPG'], ['2019/06/IMG_3479(1).JPG']]);
}

describe('import-takeout: which files are one photo', () => {
  let stack: Stack;
  let worker: ManagedProcess;
  const dir = tempDir('takeout-identity');
  before(async () => {
    stack = await startStack({ preset: 'hostile' });
    worker = await stack.spawnWorker('worker', { GPHOTOS_CACHE_DIR: join(dir, 'cache-1') });
  });
  after(() => stack?.close());

  const importParts = async (parts: readonly string[], root: string): Promise<TakeoutSummary> => {
    const run = await runCli(['import-takeout', ...parts, '--dest', root, '--wait', '--json'], stack.env(), 180_000);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    return lastJson<{ summary: TakeoutSummary }>(run.stdout).summary;
  };

  it('a zip, then a tgz of the same export: each photo stored once, its album copy under another (n) too, and two photos of one name and size kept apart', async () => {
    const zip = join(dir, 'zip', 'takeout-20250102T030405Z-001.zip');
    const tgz = join(dir, 'tgz', 'takeout-20250102T030405Z-001.tgz');
    mkdirSync(dirname(zip), { recursive: true });
    mkdirSync(dirname(tgz), { recursive: true });
    await writeZip(zip, EXPORT);
    await writeTgz(tgz, EXPORT);
    const root = join(dir, 'dest');

    const first = await importParts([zip], root);
    assert.equal(first.stored, 4, JSON.stringify(first));
    assert.equal(first.duplicates, 1, 'the album copy of B is the same item');
    checkExport(root);
    const records = (await stored(root)).length;

    const again = await importParts([tgz], root);
    assert.equal(again.stored, 0, `the tgz of the same export stores nothing: ${JSON.stringify(again)}`);
    checkExport(root);
    assert.equal((await stored(root)).length, records);
  });

  it('an extracted export: the copy in an album is recognised by its bytes, and same-name same-size photos of two years are two', async () => {
    const extracted = join(dir, 'extracted');
    writeFolder(extracted, EXPORT);
    const root = join(dir, 'dest-folder');
    const summary = await importParts([extracted], root);
    assert.equal(summary.stored + summary.skipped, 5, JSON.stringify(summary));
    checkExport(root, false);
    const again = await importParts([extracted], root);
    assert.equal(again.stored, 0, JSON.stringify(again));
  });

  it('the albums index keeps the albums of an import another worker planned (its own cache)', async () => {
    const root = join(dir, 'dest-albums');
    const one = join(dir, 'one', 'takeout-20250102T030405Z-001.zip');
    mkdirSync(dirname(one), { recursive: true });
    await writeZip(one, EXPORT);
    await importParts([one], root);

    const other = join(dir, 'other', 'takeout-20250301T000000Z-001.zip');
    mkdirSync(dirname(other), { recursive: true });
    const C = photo(5);
    await writeZip(other, [
      { path: `${TOP}/Urlaub/metadata.json`, body: Buffer.from(JSON.stringify({ title: 'Urlaub' })) },
      { path: `${TOP}/Urlaub/IMG_5000.JPG`, body: C },
      { path: `${TOP}/Urlaub/IMG_5000.JPG.json`, body: sidecar('IMG_5000.JPG', TAKEN_A + 86_400 * 40) },
    ]);
    await worker.stop();
    rmSync(join(dir, 'cache-1'), { recursive: true, force: true });
    worker = await stack.spawnWorker('worker-2', { GPHOTOS_CACHE_DIR: join(dir, 'cache-2') });
    const summary = await importParts([other], root);
    assert.equal(summary.stored, 1, JSON.stringify(summary));
    const albums = albumsIndex(root);
    assert.deepEqual(albums.get('Party'), ['2019/06/IMG_3479(1).JPG'], 'the earlier album is kept');
    assert.deepEqual(albums.get('Urlaub'), ['2019/07/IMG_5000.JPG']);
  });
});
