// Reading Takeout parts in place (src/sources/takeout/archive.ts): zips made by yazl (Zip64
// forced, a few-MB entry, NFD and non-ASCII names, a directory entry) and by Python's zipfile,
// tgz made by tar-stream and zlib (a name past tar's 100 bytes), and an extracted folder. Bodies
// must hash to what was written; broken parts (cut short, damaged, not archives, missing) must
// fail with the right problem and name the part; an abort must leave no file descriptor open.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import * as yazl from 'yazl';
import { openArchive, TakeoutArchiveError, type ArchiveEntry, type ArchiveProblem, type TakeoutArchive } from '../src/sources/takeout/archive.js';
import { tempDir } from './harness/tmp.js';

interface TestFile {
  readonly name: string;
  readonly data: Buffer;
  readonly compress?: boolean;
  readonly zip64?: boolean;
}

const MTIME = new Date('2023-06-01T12:34:56Z');
const NFD_NAME = 'Takeout/Google Photos/Cafe\u0301 2023/photo-\u00e9\u0301.jpg'.normalize('NFD');
const LONG_NAME = `Takeout/Google Photos/${'A very long album name '.repeat(5)}/${'x'.repeat(60)}.jpg`;

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Files with incompressible and compressible bodies, an empty one and a few-MB one. */
function sampleFiles(): TestFile[] {
  return [
    { name: 'Takeout/Google Photos/Photos from 2023/IMG_0001.jpg', data: randomBytes(200_000), compress: false },
    { name: 'Takeout/Google Photos/Photos from 2023/IMG_0001.jpg.json', data: Buffer.from('{"title":"IMG_0001.jpg"}\n'.repeat(50)) },
    { name: NFD_NAME, data: randomBytes(1000), zip64: true },
    { name: 'Takeout/Google Photos/Фото/empty.txt', data: Buffer.alloc(0) },
    { name: 'Takeout/Google Photos/Photos from 2023/VID_0002.mp4', data: randomBytes(3 * 1024 * 1024), zip64: true },
    { name: 'Takeout/Google Photos/Photos from 2023/zeros.bin', data: Buffer.alloc(2 * 1024 * 1024), compress: true },
  ];
}

/** Writes a zip with yazl; `forceZip64` also forces the Zip64 end records. */
async function writeZip(path: string, files: readonly TestFile[], forceZip64 = false): Promise<void> {
  const zip = new yazl.ZipFile();
  zip.addEmptyDirectory('Takeout/Google Photos/', { mtime: MTIME });
  for (const file of files) {
    zip.addBuffer(file.data, file.name, { mtime: MTIME, compress: file.compress ?? true, forceZip64Format: file.zip64 ?? false });
  }
  zip.end({ forceZip64Format: forceZip64, comment: '' });
  await pipeline(zip.outputStream, createWriteStream(path));
}

/** Writes a gzip'd tar with tar-stream: a directory, the files, and a symlink (which is no file). */
async function writeTgz(path: string, files: readonly TestFile[]): Promise<void> {
  const pack = tar.pack();
  const written = (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of pack) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  })();
  pack.entry({ name: 'Takeout/Google Photos', type: 'directory', mtime: MTIME });
  for (const file of files) pack.entry({ name: file.name, size: file.data.length, mtime: MTIME }, file.data);
  pack.entry({ name: 'Takeout/link.jpg', type: 'symlink', linkname: 'Google Photos/x.jpg', mtime: MTIME });
  pack.finalize();
  writeFileSync(path, gzipSync(await written));
}

/** Every entry of a listing. */
async function list(archive: TakeoutArchive, signal?: AbortSignal): Promise<ArchiveEntry[]> {
  const out: ArchiveEntry[] = [];
  for await (const entry of archive.entries(signal)) out.push(entry);
  return out;
}

async function hashOf(body: Readable): Promise<{ sha: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha: hash.digest('hex'), bytes };
}

/** The sha256 of every body read, by entry path. */
async function readAll(archive: TakeoutArchive, options: { from?: number; wanted?: (entry: ArchiveEntry) => boolean } = {}): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await archive.read({ wanted: options.wanted ?? (() => true), ...(options.from !== undefined ? { from: options.from } : {}) }, async (entry, body) => {
    const { sha, bytes } = await hashOf(body);
    assert.equal(bytes, entry.size, `bytes of ${entry.path}`);
    out.set(entry.path, sha);
  });
  return out;
}

function assertListing(entries: readonly ArchiveEntry[], files: readonly TestFile[], prefix = ''): void {
  assert.deepEqual(entries.map((e) => e.path), files.map((f) => prefix + f.name));
  assert.deepEqual(entries.map((e) => e.size), files.map((f) => f.data.length));
  assert.deepEqual(entries.map((e) => e.index), files.map((_, i) => i));
}

function assertBodies(bodies: ReadonlyMap<string, string>, files: readonly TestFile[], prefix = ''): void {
  assert.deepEqual(new Map(files.map((f) => [prefix + f.name, sha256(f.data)])), bodies);
}

/** Asserts that a promise rejects with a TakeoutArchiveError of this problem naming the part. */
async function assertProblem(promise: Promise<unknown>, problem: ArchiveProblem, part: string): Promise<TakeoutArchiveError> {
  let caught: unknown;
  await promise.then(() => assert.fail(`expected a '${problem}' error`), (err: unknown) => (caught = err));
  assert.ok(caught instanceof TakeoutArchiveError, `not a TakeoutArchiveError: ${String(caught)}`);
  assert.equal(caught.problem, problem, caught.message);
  assert.equal(caught.part, part);
  assert.ok(caught.message.includes(part), `message names the part: ${caught.message}`);
  return caught;
}

async function withArchive<T>(part: string, use: (archive: TakeoutArchive) => Promise<T>): Promise<T> {
  const archive = await openArchive(part);
  try {
    return await use(archive);
  } finally {
    await archive.close();
  }
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

/** Where an entry's data starts in a zip: after its local header (the first copy of its name). */
function dataStart(zip: Buffer, name: string): number {
  const at = zip.indexOf(Buffer.from(name));
  assert.equal(zip.readUInt32LE(at - 30), 0x04034b50, 'local file header signature');
  return at + Buffer.byteLength(name) + zip.readUInt16LE(at - 2);
}

/** Copies a file cut to `fraction` of its length. */
function cutCopy(from: string, to: string, fraction: number): void {
  const data = readFileSync(from);
  writeFileSync(to, data.subarray(0, Math.floor(data.length * fraction)));
}

/** Reads the first chunk of the first wanted body, aborts, and expects read() to reject with the reason. */
async function assertAbortMidRead(part: string): Promise<void> {
  const before = openFds();
  const controller = new AbortController();
  const reason = new Error('stop now');
  await withArchive(part, async (archive) => {
    let chunks = 0;
    const reading = archive.read({ wanted: (e) => e.size > 1_000_000, signal: controller.signal }, async (_entry, body) => {
      for await (const _chunk of body as AsyncIterable<Buffer>) {
        if (++chunks === 1) controller.abort(reason);
      }
    });
    await assert.rejects(reading, (err) => err === reason);
    assert.equal(chunks, 1);
    await assert.rejects(list(archive, controller.signal), (err) => err === reason);
  });
  assert.equal(openFds(), before, 'file descriptors left open');
}

describe('openArchive: zip', () => {
  const dir = tempDir('takeout-archive-zip');
  const files = sampleFiles();
  const part = join(dir, 'takeout-001.zip');
  const ready = writeZip(part, files, true);

  it('lists the central directory: paths as stored (NFD kept), sizes, indexes, no directories', async () => {
    await ready;
    await withArchive(part, async (archive) => {
      assert.equal(archive.format, 'zip');
      assert.equal(archive.part, part);
      assert.ok(readFileSync(part).includes(Buffer.from('PK\x06\x06', 'latin1')), 'yazl wrote a Zip64 end record');
      const entries = await list(archive);
      assertListing(entries, files);
      assert.equal(entries[2]?.path, NFD_NAME);
      assert.notEqual(NFD_NAME, NFD_NAME.normalize('NFC'));
      assert.equal(entries[0]?.mtime?.getTime(), MTIME.getTime());
      assert.deepEqual(await list(archive), entries, 'a second listing is the same');
    });
  });

  it('streams every body (Zip64 and deflated included) with the bytes written', async () => {
    await ready;
    await withArchive(part, async (archive) => {
      assertBodies(await readAll(archive), files);
      assertBodies(await readAll(archive), files);
    });
  });

  it('starts at `from` and asks `wanted` only about the entries from there', async () => {
    await ready;
    await withArchive(part, async (archive) => {
      const asked: number[] = [];
      const bodies = await readAll(archive, { from: 2, wanted: (e) => (asked.push(e.index), e.index !== 3) });
      assert.deepEqual(asked, [2, 3, 4, 5]);
      assertBodies(bodies, [files[2], files[4], files[5]].filter((f) => f !== undefined));
    });
  });

  it('goes on when onEntry leaves a body unread or half read', async () => {
    await ready;
    await withArchive(part, async (archive) => {
      const seen: number[] = [];
      await archive.read({ wanted: () => true }, async (entry, body) => {
        seen.push(entry.index);
        if (entry.index === 4) await new Promise((done) => body.once('readable', done));
      });
      assert.deepEqual(seen, [0, 1, 2, 3, 4, 5]);
      assertBodies(await readAll(archive, { from: 5 }), [files[5] as TestFile]);
    });
  });

  it('reads a zip written by Python zipfile (deflated, directory entry, UTF-8 names)', async () => {
    const python = join(dir, 'python.zip');
    const script = [
      'import sys, zipfile',
      'with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:',
      '    z.writestr("Takeout/Google Photos/", b"")',
      '    z.writestr("Takeout/Google Photos/Été 2021/IMG_1.jpg", bytes(range(256)) * 4000)',
      '    z.writestr("Takeout/Google Photos/Été 2021/IMG_1.jpg.json", b"{}")',
      '    z.writestr(zipfile.ZipInfo("Takeout/stored.bin"), b"stored bytes")',
    ].join('\n');
    execFileSync('python3', ['-c', script, python]);
    const expected: TestFile[] = [
      { name: 'Takeout/Google Photos/Été 2021/IMG_1.jpg', data: Buffer.concat(Array.from({ length: 4000 }, () => Buffer.from(Array.from({ length: 256 }, (_, i) => i)))) },
      { name: 'Takeout/Google Photos/Été 2021/IMG_1.jpg.json', data: Buffer.from('{}') },
      { name: 'Takeout/stored.bin', data: Buffer.from('stored bytes') },
    ];
    await withArchive(python, async (archive) => {
      assertListing(await list(archive), expected);
      assertBodies(await readAll(archive), expected);
    });
  });

  it('reads an empty zip (PK\\x05\\x06 first)', async () => {
    const empty = join(dir, 'empty.zip');
    const zip = new yazl.ZipFile();
    zip.end();
    await pipeline(zip.outputStream, createWriteStream(empty));
    await withArchive(empty, async (archive) => assert.deepEqual(await list(archive), []));
  });

  it('fails a zip cut at 60% (still downloading) with truncated', async () => {
    await ready;
    const cut = join(dir, 'cut.zip');
    cutCopy(part, cut, 0.6);
    const err = await assertProblem(openArchive(cut), 'truncated', cut);
    assert.match(err.message, /still downloading/);
    assert.equal(err.retryable, false);
  });

  it('fails a damaged stored entry with corrupt before its body ends', async () => {
    await ready;
    const damaged = join(dir, 'damaged.zip');
    const data = readFileSync(part);
    const at = dataStart(data, files[0]?.name ?? '') + 1000;
    data[at] = (data[at] ?? 0) ^ 0xff;
    writeFileSync(damaged, data);
    await withArchive(damaged, async (archive) => {
      assertListing(await list(archive), files);
      let ended = false;
      let bodyError: unknown;
      const reading = archive.read({ wanted: (e) => e.index === 0 }, async (_entry, body) => {
        body.once('end', () => (ended = true));
        await hashOf(body).catch((err: unknown) => (bodyError = err));
      });
      await assertProblem(reading, 'corrupt', damaged);
      assert.equal(ended, false, 'the damaged body ended cleanly');
      assert.ok(bodyError instanceof TakeoutArchiveError && bodyError.problem === 'corrupt' && /CRC-32/.test(bodyError.message));
      assertBodies(await readAll(archive, { from: 1 }), files.slice(1));
    });
  });

  it('fails a damaged deflated entry with corrupt', async () => {
    await ready;
    const damaged = join(dir, 'damaged-deflated.zip');
    const data = readFileSync(part);
    // The JSON text's Huffman codes (a flip inside a run of zeros could inflate to the same zeros).
    const at = dataStart(data, files[1]?.name ?? '') + 10;
    data[at] = (data[at] ?? 0) ^ 0x55;
    writeFileSync(damaged, data);
    await withArchive(damaged, (archive) => assertProblem(readAll(archive, { wanted: (e) => e.index === 1 }), 'corrupt', damaged));
  });

  it('aborts mid-body: rejects with the reason and leaves no descriptor open', async () => {
    await ready;
    await assertAbortMidRead(part);
  });
});

describe('openArchive: tgz', () => {
  const dir = tempDir('takeout-archive-tgz');
  const files = [...sampleFiles(), { name: LONG_NAME, data: randomBytes(5000) }];
  const part = join(dir, 'takeout-001.tgz');
  const ready = writeTgz(part, files);

  it('lists file entries only (long names, no directory or symlink) and reads them back', async () => {
    await ready;
    assert.ok(Buffer.byteLength(LONG_NAME) > 100);
    await withArchive(part, async (archive) => {
      assert.equal(archive.format, 'tgz');
      const entries = await list(archive);
      assertListing(entries, files);
      assert.equal(entries[0]?.mtime?.getTime(), MTIME.getTime());
      assertBodies(await readAll(archive), files);
    });
  });

  it('skips through entries before `from`, filters by `wanted`, drains unread bodies', async () => {
    await ready;
    await withArchive(part, async (archive) => {
      const asked: number[] = [];
      const bodies = await readAll(archive, { from: 3, wanted: (e) => (asked.push(e.index), e.index !== 5) });
      assert.deepEqual(asked, [3, 4, 5, 6]);
      assertBodies(bodies, [files[3], files[4], files[6]].filter((f) => f !== undefined));
      const seen: number[] = [];
      await archive.read({ wanted: () => true }, async (entry, body) => {
        seen.push(entry.index);
        if (entry.index === 4) await new Promise((done) => body.once('readable', done));
      });
      assert.deepEqual(seen, files.map((_, i) => i));
    });
  });

  it('fails a tgz cut at 60% with truncated, in entries() and in read()', async () => {
    await ready;
    const cut = join(dir, 'cut.tgz');
    cutCopy(part, cut, 0.6);
    await withArchive(cut, async (archive) => {
      await assertProblem(list(archive), 'truncated', cut);
      await assertProblem(readAll(archive), 'truncated', cut);
    });
  });

  it('fails a complete gzip whose tar ends mid-entry with truncated', async () => {
    await ready;
    const tarBytes = gunzipSync(readFileSync(part));
    const cut = join(dir, 'cut-tar.tgz');
    writeFileSync(cut, gzipSync(tarBytes.subarray(0, 512 + 100_000)));
    await withArchive(cut, (archive) => assertProblem(list(archive), 'truncated', cut));
  });

  it('fails damaged gzip data with corrupt', async () => {
    await ready;
    const damaged = join(dir, 'damaged.tgz');
    const data = readFileSync(part);
    for (let i = 100; i < 110; i++) data[i] = (data[i] ?? 0) ^ 0x5a;
    writeFileSync(damaged, data);
    await withArchive(damaged, (archive) => assertProblem(list(archive), 'corrupt', damaged));
  });

  it('aborts mid-body: rejects with the reason and leaves no descriptor open', async () => {
    await ready;
    await assertAbortMidRead(part);
  });
});

describe('openArchive: folder', () => {
  const dir = tempDir('takeout-archive-folder');
  const root = join(dir, 'Takeout');
  const files: TestFile[] = [
    { name: 'Google Photos/Photos from 2023/IMG_1.jpg', data: randomBytes(1500) },
    { name: 'Google Photos/Photos from 2023/IMG_1.jpg.json', data: Buffer.from('{}') },
    { name: 'Google Photos/Photos from 2023/VID_2.mp4', data: randomBytes(2 * 1024 * 1024) },
    { name: 'Google Photos/Été/a.jpg', data: randomBytes(10) },
    { name: 'archive_browser.html', data: Buffer.from('<html></html>') },
  ];
  for (const file of files) {
    mkdirSync(join(root, file.name, '..'), { recursive: true });
    writeFileSync(join(root, file.name), file.data);
  }
  symlinkSync(join(root, 'Google Photos'), join(root, 'Google Photos', 'loop'));
  symlinkSync(join(root, 'archive_browser.html'), join(root, 'link.html'));

  it('walks in name order, paths under the folder name, symlinks not followed', async () => {
    await withArchive(root, async (archive) => {
      assert.equal(archive.format, 'folder');
      assertListing(await list(archive), files, 'Takeout/');
      assertBodies(await readAll(archive), files, 'Takeout/');
      assertBodies(await readAll(archive, { from: 3 }), files.slice(3), 'Takeout/');
    });
  });

  it('aborts mid-body: rejects with the reason and leaves no descriptor open', async () => {
    await assertAbortMidRead(root);
  });
});

describe('openArchive: not archives', () => {
  const dir = tempDir('takeout-archive-bad');

  it('calls random bytes, a text file and an empty file not-an-archive', async () => {
    const noise = randomBytes(4096);
    noise[0] = 0x00;
    const cases = { 'noise.zip': noise, 'notes.tgz': Buffer.from('PK is not enough: hello\n'), 'empty.zip': Buffer.alloc(0) };
    for (const [name, data] of Object.entries(cases)) {
      const path = join(dir, name);
      writeFileSync(path, data);
      await assertProblem(openArchive(path), 'not-an-archive', path);
    }
  });

  it('calls a missing path unreadable, not retryable', async () => {
    const missing = join(dir, 'nowhere', 'takeout-001.zip');
    const err = await assertProblem(openArchive(missing), 'unreadable', missing);
    assert.equal(err.retryable, false);
  });

  it('calls a zip whose file shrank after opening truncated or corrupt, never a clean read', async () => {
    const path = join(dir, 'shrinking.zip');
    await writeZip(path, sampleFiles());
    await withArchive(path, async (archive) => {
      truncateSync(path, 1000);
      const err = await readAll(archive).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof TakeoutArchiveError && ['truncated', 'corrupt'].includes(err.problem), String(err));
    });
  });
});
