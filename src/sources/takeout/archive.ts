// Reading one part of a Google Takeout export in place: a `.zip` (Zip64 included, parts up to
// 50 GB), a `.tgz`, or a folder someone already extracted. Nothing is extracted to disk and memory
// stays flat whatever the part or entry size: listings are iterated, bodies are streamed.
// A zip is listed from its central directory alone and its entries are opened straight at their
// offsets; every body read is checked against the zip's CRC-32 (yauzl does not check it). A tgz
// can only be read front to back: listing it is a pass over the whole stream, which also proves
// the part complete (the gzip trailer's CRC covers the whole part, so damage can surface only
// after the damaged entry's body was delivered: read() then rejects). Broken parts fail with a
// TakeoutArchiveError that names the part and says what to do about it.
// One file descriptor per part, held from openArchive to close(); yauzl reads through it with
// positional reads (its own fd reader would close the descriptor with each ZipFile, and Node's
// FileHandle streams add a 'close' listener per stream, which 100k entries would pile up).
import { createReadStream } from 'node:fs';
import { open, readdir, lstat, stat, type FileHandle } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { pipeline, Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import * as tar from 'tar-stream';
import * as yauzl from 'yauzl';

export type ArchiveFormat = 'zip' | 'tgz' | 'folder';

export interface ArchiveEntry {
  /** '/'-separated path inside the archive as stored (folder input: the folder's own name, then the relative path). */
  readonly path: string;
  /** Uncompressed size in bytes. */
  readonly size: number;
  /** 0-based position among the part's file entries, in archive order (directories are not counted). Stable across reads of the same file. */
  readonly index: number;
  /** The entry's modification time when the archive has one. */
  readonly mtime?: Date;
  /** The CRC-32 the zip's central directory records for the entry (zip only). */
  readonly crc32?: number;
}

/**
 * What is wrong with a part: `truncated` (its end is missing: still downloading, or cut short),
 * `corrupt` (damaged data, a bad header or checksum), `not-an-archive` (neither a zip, a gzip'd tar
 * nor a folder), `unreadable` (the file system refused: missing, no permission, I/O error).
 */
export type ArchiveProblem = 'truncated' | 'corrupt' | 'not-an-archive' | 'unreadable';

/** A part that cannot be read, or not completely; the message names the part and what to do. */
export class TakeoutArchiveError extends Error {
  readonly problem: ArchiveProblem;
  /** The part's path as given to openArchive. */
  readonly part: string;
  /** Whether trying again as is may work (transient I/O errors); false when someone must act. */
  readonly retryable: boolean;

  constructor(problem: ArchiveProblem, part: string, detail: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    const retryable = options.retryable ?? false;
    super(describeProblem(problem, part, detail, retryable), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TakeoutArchiveError';
    this.problem = problem;
    this.part = part;
    this.retryable = retryable;
  }
}

/** Options of TakeoutArchive.read. */
export interface ReadOptions {
  /** Whether to hand over an entry's body; only asked about entries at or after `from`. */
  readonly wanted: (entry: ArchiveEntry) => boolean;
  /** The first entry index to consider (default 0). */
  readonly from?: number;
  readonly signal?: AbortSignal;
}

/** Called with each wanted entry and its body; awaited before the next entry is read. */
export type EntryHandler = (entry: ArchiveEntry, body: Readable) => Promise<void>;

export interface TakeoutArchive {
  /** The path given to openArchive. */
  readonly part: string;
  readonly format: ArchiveFormat;
  /** Every file entry, in archive order. zip: from the central directory only (no entry data read). tgz: one pass over the whole stream (bodies skipped, which also proves the whole part is readable). folder: a sorted recursive walk. */
  entries(signal?: AbortSignal): AsyncIterable<ArchiveEntry>;
  /**
   * Streams the bodies of the entries `wanted` says yes to, in archive order, starting at index
   * `from` (entries before it are not opened: zip and folder go straight to them, tgz skips through
   * them), and awaits `onEntry(entry, body)` for each before going on. The body yields exactly
   * `entry.size` bytes or errors with a TakeoutArchiveError ('corrupt', 'truncated', ...); zip
   * bodies are checked against their CRC-32 before they end. A body onEntry leaves unread is
   * drained or destroyed here. Rejects with onEntry's error, with the error of a body that failed
   * (even when onEntry swallowed it), or with the signal's reason when it aborts.
   */
  read(options: ReadOptions, onEntry: EntryHandler): Promise<void>;
  /** Releases the part's file descriptor; calling it again does nothing. */
  close(): Promise<void>;
}

/** Bytes per read from a part: large enough for 50 GB parts, small enough to keep memory flat. */
const CHUNK_BYTES = 256 * 1024;

const ZIP_OPTIONS: yauzl.Options = { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: true, strictFileNames: false };

/** fs error codes worth a retry: the disk or the network file system may recover. */
const TRANSIENT_CODES = new Set(['EIO', 'EAGAIN', 'EBUSY', 'EMFILE', 'ENFILE', 'ETIMEDOUT', 'ESTALE', 'EINTR']);

function describeProblem(problem: ArchiveProblem, part: string, detail: string, retryable: boolean): string {
  switch (problem) {
    case 'truncated':
      return `Takeout part ${part} is incomplete (${detail}): still downloading? Let the download finish, or download the part again.`;
    case 'corrupt':
      return `Takeout part ${part} is damaged (${detail}): download the part again.`;
    case 'not-an-archive':
      return `${part} is not a Takeout archive (${detail}): give the .zip or .tgz file Google Takeout made, or the folder it was extracted to.`;
    case 'unreadable':
      return retryable
        ? `Cannot read Takeout part ${part} (${detail}): the disk reported a temporary error; try again.`
        : `Cannot read Takeout part ${part} (${detail}): check that the path exists and that this user may read it.`;
  }
}

// ---------------------------------------------------------------------------------------------
// Errors and cancellation

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** An fs error (it has a syscall): the part, or a file of the folder, could not be read. */
function fsProblem(err: unknown, part: string): TakeoutArchiveError | undefined {
  const code = errorCode(err);
  if (code === undefined || typeof (err as { syscall?: unknown }).syscall !== 'string') return undefined;
  return new TakeoutArchiveError('unreadable', part, messageOf(err), { retryable: TRANSIENT_CODES.has(code), cause: err });
}

/**
 * What an error of yauzl, zlib, tar-stream or fs means for the part. yauzl and tar-stream only
 * tell by their messages: a missing end-of-central-directory record or a read past the end of the
 * file (zip), "Unexpected end of data" (tar) and a cut-off gzip stream (Z_BUF_ERROR) mean the
 * end of the part is missing; anything else they report is damage.
 */
function classify(err: unknown, part: string, format: ArchiveFormat, entryPath?: string): TakeoutArchiveError {
  if (err instanceof TakeoutArchiveError) return err;
  const asFs = fsProblem(err, part);
  if (asFs) return asFs;
  const message = messageOf(err);
  const detail = entryPath === undefined ? message : `${entryPath}: ${message}`;
  const code = errorCode(err);
  const truncated = format === 'tgz'
    ? code === 'Z_BUF_ERROR' || /unexpected end of (?:data|file)/iu.test(message)
    : /end of central directory record signature not found|unexpected EOF/iu.test(message);
  return new TakeoutArchiveError(truncated ? 'truncated' : 'corrupt', part, detail, { cause: err });
}

/** The signal's reason, as an Error to destroy streams with. */
function abortError(signal: AbortSignal): Error {
  const reason = signal.reason as unknown;
  if (reason instanceof Error) return reason;
  const err = new Error('The operation was aborted', reason === undefined ? undefined : { cause: reason });
  err.name = 'AbortError';
  return err;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/** Calls `onAbort` when the signal aborts; returns the function that stops listening. */
function onAbort(signal: AbortSignal | undefined, listener: () => void): () => void {
  if (!signal) return () => undefined;
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}

// ---------------------------------------------------------------------------------------------
// Streams

/** Reads `[start, end)` of an open file with positional reads (end: Infinity reads to EOF). */
class RangeStream extends Readable {
  private position: number;

  constructor(
    private readonly handle: FileHandle,
    start: number,
    private readonly end: number,
  ) {
    super({ highWaterMark: CHUNK_BYTES });
    this.position = start;
  }

  override _read(): void {
    const length = Math.min(CHUNK_BYTES, this.end - this.position);
    if (length <= 0) {
      this.push(null);
      return;
    }
    const buffer = Buffer.allocUnsafe(length);
    this.handle.read(buffer, 0, length, this.position).then(
      ({ bytesRead }) => {
        if (this.destroyed) return;
        if (bytesRead === 0) {
          this.push(null);
          return;
        }
        this.position += bytesRead;
        this.push(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
      },
      (err: unknown) => this.destroy(err instanceof Error ? err : new Error(String(err))),
    );
  }
}

interface BodySpec {
  readonly part: string;
  readonly entry: ArchiveEntry;
  /** The CRC-32 the body must have (zip). */
  readonly crc32?: number;
  /** What a source error means (abort reason or TakeoutArchiveError). */
  readonly classify: (err: unknown) => Error;
  /** Lets go of an unfinished source: destroy it (zip, folder), or drain it (tar must read through). */
  readonly release: (source: Readable) => void;
}

/**
 * An entry body as handed to onEntry: the source's bytes, counted against the entry's size and,
 * when a CRC is given, checked against it. The last chunk is held back until the check passed, so
 * a damaged body errors instead of ending cleanly.
 */
class EntryBody extends Readable {
  /** The archive problem the body failed with, if any. */
  failure: TakeoutArchiveError | undefined;
  /** Settles once the source has closed (its file descriptor, if any, released). */
  readonly settled: Promise<void>;
  private received = 0;
  private crc = 0;
  private held: Buffer | undefined;
  private sourceClosed = false;

  constructor(
    private readonly source: Readable,
    private readonly spec: BodySpec,
  ) {
    super({ highWaterMark: CHUNK_BYTES });
    this.settled = new Promise((done) => source.once('close', done));
    source.once('close', () => (this.sourceClosed = true));
    source.on('data', (chunk: Buffer) => this.onData(chunk));
    source.once('end', () => this.onEnd());
    source.on('error', (err: unknown) => this.fail(spec.classify(err)));
    source.pause();
  }

  override _read(): void {
    this.source.resume();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (!this.sourceClosed) this.spec.release(this.source);
    callback(err);
  }

  private onData(chunk: Buffer): void {
    if (this.destroyed) return;
    this.received += chunk.length;
    if (this.received > this.spec.entry.size) {
      this.fail(this.problem('corrupt', `holds more than the ${this.spec.entry.size} bytes listed`));
      return;
    }
    let out: Buffer | undefined = chunk;
    if (this.spec.crc32 !== undefined) {
      this.crc = zlib.crc32(chunk, this.crc);
      [out, this.held] = [this.held, chunk];
    }
    if (out && !this.push(out)) this.source.pause();
  }

  private onEnd(): void {
    if (this.destroyed) return;
    const { size } = this.spec.entry;
    if (this.received < size) {
      this.fail(this.problem('truncated', `ends after ${this.received} of its ${size} bytes`));
      return;
    }
    if (this.spec.crc32 !== undefined && this.crc !== this.spec.crc32) {
      this.fail(this.problem('corrupt', `CRC-32 ${hex(this.crc)} where the zip records ${hex(this.spec.crc32)}`));
      return;
    }
    if (this.held) this.push(this.held);
    this.held = undefined;
    this.push(null);
  }

  private problem(problem: ArchiveProblem, detail: string): TakeoutArchiveError {
    return new TakeoutArchiveError(problem, this.spec.part, `entry ${this.spec.entry.path} ${detail}`);
  }

  private fail(err: Error): void {
    if (err instanceof TakeoutArchiveError) this.failure ??= err;
    this.held = undefined;
    this.destroy(err);
  }
}

function hex(crc: number): string {
  return crc.toString(16).padStart(8, '0');
}

// ---------------------------------------------------------------------------------------------
// The reading loop every format shares

/** One entry met while going through a part; `open` streams its body. */
interface Scanned {
  readonly entry: ArchiveEntry;
  open(): Promise<EntryBody>;
}

/** Goes through a part's file entries in order; bodies not opened are skipped. */
type Scanner = (signal: AbortSignal | undefined) => AsyncGenerator<Scanned, void, undefined>;

async function* listEntries(scan: Scanner, signal: AbortSignal | undefined): AsyncGenerator<ArchiveEntry, void, undefined> {
  throwIfAborted(signal);
  for await (const item of scan(signal)) yield item.entry;
}

/** Hands one body to onEntry, then lets go of it and waits until its source is released. */
async function deliver(item: Scanned, onEntry: EntryHandler, signal: AbortSignal | undefined): Promise<void> {
  const body = await item.open();
  const stop = onAbort(signal, () => body.destroy(abortError(signal as AbortSignal)));
  try {
    throwIfAborted(signal);
    await onEntry(item.entry, body);
  } finally {
    stop();
    body.destroy();
    await body.settled;
  }
  throwIfAborted(signal);
  if (body.failure) throw body.failure;
}

async function readEntries(scan: Scanner, options: ReadOptions, onEntry: EntryHandler): Promise<void> {
  const { wanted, from = 0, signal } = options;
  throwIfAborted(signal);
  try {
    for await (const item of scan(signal)) {
      if (item.entry.index < from || !wanted(item.entry)) continue;
      await deliver(item, onEntry, signal);
    }
  } catch (err) {
    throwIfAborted(signal);
    throw err;
  }
}

/** The TakeoutArchive of a scanner; `release` closes what the part holds open. */
function archiveOf(part: string, format: ArchiveFormat, scan: Scanner, release: () => Promise<void>): TakeoutArchive {
  let closing: Promise<void> | undefined;
  const checkOpen = (): void => {
    if (closing) throw new Error(`Takeout part ${part} was closed`);
  };
  return {
    part,
    format,
    entries: (signal) => {
      checkOpen();
      return listEntries(scan, signal);
    },
    read: async (options, onEntry) => {
      checkOpen();
      await readEntries(scan, options, onEntry);
    },
    close: () => (closing ??= release()),
  };
}

// ---------------------------------------------------------------------------------------------
// zip

/** yauzl's reader over the part's one descriptor; closing a ZipFile leaves the descriptor open. */
class HandleReader extends yauzl.RandomAccessReader {
  constructor(private readonly handle: FileHandle) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return new RangeStream(this.handle, start, end);
  }

  /** yauzl checks the byte count its callback gets, which its typings leave out. */
  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null, bytesRead?: number) => void): void {
    this.handle.read(buffer, offset, length, position).then(
      ({ bytesRead }) => callback(null, bytesRead),
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
  }
}

/** A fresh yauzl ZipFile over the part (a ZipFile iterates its central directory only once). */
async function openZipFile(handle: FileHandle): Promise<yauzl.ZipFile> {
  const { size } = await handle.stat();
  return new Promise((resolvePromise, reject) => {
    yauzl.fromRandomAccessReader(new HandleReader(handle), size, ZIP_OPTIONS, (err, zip) => {
      if (err) reject(err);
      else resolvePromise(zip);
    });
  });
}

/** The next central directory record, or undefined after the last. */
function nextZipEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | undefined> {
  return new Promise((resolvePromise, reject) => {
    const cleanup = (): void => {
      zip.off('entry', onEntry).off('end', onEnd).off('error', onError);
    };
    const onEntry = (entry: yauzl.Entry): void => {
      cleanup();
      resolvePromise(entry);
    };
    const onEnd = (): void => {
      cleanup();
      resolvePromise(undefined);
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
    zip.readEntry();
  });
}

/**
 * An entry's bytes. A deflated one is inflated here, not by yauzl, in chunks of CHUNK_BYTES
 * rather than zlib's 16 KiB: a sixteenth of the chunks for every stream after it to handle.
 * (Its size and CRC-32 are checked downstream, on what comes out.)
 */
function openZipStream(zip: yauzl.ZipFile, raw: yauzl.Entry): Promise<Readable> {
  const deflated = raw.compressionMethod === 8;
  return new Promise((resolvePromise, reject) => {
    zip.openReadStream(raw, deflated ? { decompress: false } : {}, (err, stream) => {
      if (err) return reject(err);
      if (!deflated) return resolvePromise(stream);
      const inflate = zlib.createInflateRaw({ chunkSize: CHUNK_BYTES });
      pipeline(stream, inflate, () => undefined);
      resolvePromise(inflate);
    });
  });
}

function zipScanner(part: string, handle: FileHandle): Scanner {
  return async function* scanZip(signal) {
    const zip = await openZipFile(handle).catch((err: unknown) => {
      throw classify(err, part, 'zip');
    });
    zip.on('error', () => undefined); // each error also reaches nextZipEntry's listener
    try {
      let index = 0;
      for (;;) {
        throwIfAborted(signal);
        const raw = await nextZipEntry(zip).catch((err: unknown) => {
          throw classify(err, part, 'zip');
        });
        if (!raw) return;
        if (raw.fileName.endsWith('/')) continue;
        const entry: ArchiveEntry = { path: raw.fileName, size: raw.uncompressedSize, index: index++, mtime: raw.getLastModDate(), crc32: raw.crc32 };
        const spec: BodySpec = {
          part, entry, crc32: raw.crc32,
          classify: (err) => (signal?.aborted ? abortError(signal) : classify(err, part, 'zip', entry.path)),
          release: (source) => source.destroy(),
        };
        yield { entry, open: () => openZipStream(zip, raw).then((stream) => new EntryBody(stream, spec), (err: unknown) => Promise.reject(spec.classify(err))) };
      }
    } finally {
      zip.close();
    }
  };
}

// ---------------------------------------------------------------------------------------------
// tgz

function isTarFile(header: tar.Header): boolean {
  return header.type === 'file' || header.type === 'contiguous-file';
}

/**
 * tar-stream's entries are streamx streams; EntryBody only uses the events, pause, resume and
 * destroy they share with Node's Readable, which their own typings do not say.
 */
const asNodeReadable = (source: AsyncIterable<unknown>): Readable => source as unknown as Readable;

function tarScanner(part: string, handle: FileHandle): Scanner {
  return async function* scanTar(signal) {
    const file = new RangeStream(handle, 0, Infinity);
    const extract = tar.extract();
    const piped = new Promise<Error | null>((done) => pipeline(file, zlib.createGunzip({ chunkSize: CHUNK_BYTES }), extract, done));
    const toError = (err: unknown): Error => (signal?.aborted ? abortError(signal) : classify(err, part, 'tgz'));
    const stop = onAbort(signal, () => extract.destroy(abortError(signal as AbortSignal)));
    try {
      let index = 0;
      try {
        for await (const source of extract) {
          const { header } = source;
          const stream = asNodeReadable(source);
          if (!isTarFile(header)) {
            stream.resume();
            continue;
          }
          const entry: ArchiveEntry = { path: header.name, size: header.size, index: index++, mtime: header.mtime };
          const spec: BodySpec = { part, entry, classify: toError, release: (unread) => unread.resume() };
          let body: EntryBody | undefined;
          yield { entry, open: () => Promise.resolve((body = new EntryBody(stream, spec))) };
          if (!body) stream.resume();
        }
      } catch (err) {
        throw toError(err);
      }
      const failed = await piped;
      if (failed) throw toError(failed);
    } finally {
      stop();
      if (!file.destroyed) file.destroy();
    }
  };
}

// ---------------------------------------------------------------------------------------------
// folder

interface FolderFile {
  readonly absolute: string;
  readonly relative: string;
  readonly size: number;
  readonly mtime: Date;
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Regular files under `dir`, depth first, each directory's names in code unit order; symlinks are not followed. */
async function* walk(dir: string, relative: string, signal: AbortSignal | undefined): AsyncGenerator<FolderFile, void, undefined> {
  const children = (await readdir(dir, { withFileTypes: true })).sort(byName);
  for (const child of children) {
    throwIfAborted(signal);
    const absolute = join(dir, child.name);
    const path = relative === '' ? child.name : `${relative}/${child.name}`;
    if (child.isDirectory()) {
      yield* walk(absolute, path, signal);
    } else if (child.isFile()) {
      const info = await lstat(absolute);
      if (info.isFile()) yield { absolute, relative: path, size: info.size, mtime: info.mtime };
    }
  }
}

function folderScanner(part: string): Scanner {
  const top = basename(resolve(part));
  return async function* scanFolder(signal) {
    let index = 0;
    try {
      for await (const file of walk(part, '', signal)) {
        const entry: ArchiveEntry = { path: `${top}/${file.relative}`, size: file.size, index: index++, mtime: file.mtime };
        const spec: BodySpec = {
          part, entry,
          classify: (err) => (signal?.aborted ? abortError(signal) : classify(err, part, 'folder', entry.path)),
          release: (source) => source.destroy(),
        };
        yield { entry, open: () => Promise.resolve(new EntryBody(createReadStream(file.absolute, { highWaterMark: CHUNK_BYTES }), spec)) };
      }
    } catch (err) {
      throw signal?.aborted ? abortError(signal) : classify(err, part, 'folder');
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Opening

type Sniffed = 'zip' | 'tgz' | undefined;

/** The format by the first bytes: a zip's first local header or an empty zip's end record, or gzip. */
async function sniff(handle: FileHandle): Promise<Sniffed> {
  const head = Buffer.alloc(4);
  const { bytesRead } = await handle.read(head, 0, 4, 0);
  if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'tgz';
  if (bytesRead < 4 || head[0] !== 0x50 || head[1] !== 0x4b) return undefined;
  if (head[2] === 0x03 && head[3] === 0x04) return 'zip';
  return head[2] === 0x05 && head[3] === 0x06 ? 'zip' : undefined;
}

/** Checks that the zip's end records are there (a part still downloading has none yet). */
async function checkZip(part: string, handle: FileHandle): Promise<void> {
  try {
    (await openZipFile(handle)).close();
  } catch (err) {
    throw classify(err, part, 'zip');
  }
}

async function openFile(part: string): Promise<TakeoutArchive> {
  const handle = await open(part, 'r').catch((err: unknown) => {
    throw fsProblem(err, part) ?? err;
  });
  try {
    const format = await sniff(handle);
    if (format === undefined) throw new TakeoutArchiveError('not-an-archive', part, 'its first bytes are neither a zip nor a gzip header');
    if (format === 'zip') await checkZip(part, handle);
    const scan = format === 'zip' ? zipScanner(part, handle) : tarScanner(part, handle);
    return archiveOf(part, format, scan, () => handle.close());
  } catch (err) {
    await handle.close();
    throw fsProblem(err, part) ?? err;
  }
}

/**
 * Opens a part: detects the format by its first bytes (PK\x03\x04 or an empty zip's PK\x05\x06:
 * zip; 1f 8b: gzip'd tar), not by the file name; a directory is read as an extracted folder.
 * Anything else fails with 'not-an-archive', a missing or unreadable path with 'unreadable'; a zip
 * whose end is missing (still downloading) with 'truncated'.
 */
export async function openArchive(part: string): Promise<TakeoutArchive> {
  const info = await stat(part).catch((err: unknown) => {
    throw fsProblem(err, part) ?? err;
  });
  if (info.isDirectory()) {
    // Fail now rather than at the first listing if the folder cannot be listed.
    await readdir(part).catch((err: unknown) => {
      throw fsProblem(err, part) ?? err;
    });
    return archiveOf(part, 'folder', folderScanner(part), () => Promise.resolve());
  }
  if (!info.isFile()) throw new TakeoutArchiveError('not-an-archive', part, 'neither a file nor a folder');
  return openFile(part);
}
