// A local folder as a Sink. Bytes go into a hidden temp file in the target directory (a small
// body in one write); once complete and verified, the file gets its mtime and is fsynced, then it
// is published with link(2), which never overwrites (so two items racing for one name cannot clobber each other), then the temp
// name is removed and the directory fsynced. A cancelled or failed put leaves nothing behind.
// The quick metadata calls of a put (open, write of a small body, futimens, fstat, close, link,
// unlink) are synchronous: each takes microseconds on a local disk, far less than its trip
// through libuv's thread pool would cost; what waits on the disk (fsync, a streamed body) is not.
// On a network filesystem each such call holds the worker's event loop for one round trip.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, futimesSync, linkSync, openSync, unlinkSync } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, stat, unlink, utimes, writeFile, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DestinationError, onDisk } from './errors.js';
import { writeFully, writeFullySync } from './write-fully.js';
import { fsyncFd, fsyncPath } from '../fsync.js';
import { isSafeKey } from './layout.js';
import { meter } from './meter.js';
import { isSmallBody, readWholeBody } from './whole-body.js';
import type { ObjectInfo, PutInput, Sink, StoredObject } from './sink.js';

/** Temp files start with this; published names never start with a dot. */
export const TEMP_PREFIX = '.gphotos-tmp-';
/** Temp files of other hosts (a shared NAS) are only removed when older than this. */
const FOREIGN_TEMP_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const HOST = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/** Drawn once per process: with the counter after it, names are unique without a random draw per file. */
const TEMP_NONCE = randomBytes(6).toString('hex');
let tempCount = 0;

/** `.gphotos-tmp-<host>-<pid>-<random><n>`: who wrote it, so a later process can tell it is stale. */
function tempName(): string {
  tempCount += 1;
  return `${TEMP_PREFIX}${HOST}-${process.pid}-${TEMP_NONCE}${tempCount.toString(36)}`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sidecars are small; a larger file under a sidecar's name is someone's media. */
const MAX_SIDECAR_BYTES = 1024 * 1024;

/** Whether the file at `path` is the sidecar of `owner`: the item's metadata as Google gave it, with its id. */
async function isSidecarOf(path: string, owner: string): Promise<boolean> {
  const found = await stat(path);
  if (!found.isFile() || found.size > MAX_SIDECAR_BYTES) return false;
  try {
    return (JSON.parse(await readFile(path, 'utf8')) as { id?: unknown } | null)?.id === owner;
  } catch {
    return false;
  }
}

/** Publishes a sidecar where the name is free (link(2) never replaces) or holds `owner`'s earlier one; false otherwise. */
async function placeSidecar(temp: string, path: string, owner: string): Promise<boolean> {
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if (!(await isSidecarOf(path, owner))) return false;
  await rename(temp, path);
  return true;
}

/** A temp file left by a process that died (SIGKILL, power loss) on this host, or an old foreign one. */
async function isStaleTemp(dir: string, name: string): Promise<boolean> {
  const match = /^\.gphotos-tmp-([0-9a-f]{8})-(\d+)-/.exec(name);
  if (match?.[1] === HOST) return Number(match[2]) !== process.pid && !processAlive(Number(match[2]));
  try {
    return Date.now() - (await stat(join(dir, name))).mtimeMs > FOREIGN_TEMP_MAX_AGE_MS;
  } catch {
    return false;
  }
}

/** Removes stale temp files in one directory; returns how many. */
export async function sweepDirectory(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX) || !(await isStaleTemp(dir, name))) continue;
    await unlink(join(dir, name)).catch(() => undefined);
    removed += 1;
  }
  return removed;
}

/**
 * mkdir -p. Node's recursive mkdir reports ENOENT where a level cannot be made (a read-only or
 * full filesystem): the levels are then made one by one, so the real cause (EROFS, ENOSPC,
 * EACCES) comes out and is classified.
 */
async function makeDirs(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const missing: string[] = [];
  for (let level = dir; !(await stat(level).then(() => true, () => false)); level = dirname(level)) {
    missing.unshift(level);
    if (dirname(level) === level) break;
  }
  for (const level of missing) {
    await mkdir(level).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Creates the temp file (exclusively); a folder removed since this sink made it is made again. */
async function createTemp(temp: string): Promise<FileHandle> {
  try {
    return await open(temp, 'wx', 0o644);
  } catch (error) {
    // The folder went away since this sink created it (someone tidied up): make it again.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await makeDirs(dirname(temp));
    return open(temp, 'wx', 0o644);
  }
}

/** createTemp as a file descriptor, opened synchronously (the folder is made again asynchronously when it went away). */
async function createTempFd(temp: string): Promise<number> {
  try {
    return openSync(temp, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await makeDirs(dirname(temp));
    return openSync(temp, 'wx', 0o644);
  }
}

/** What the filesystem holds is what went through: checked before the file is published. */
function checkHolds(temp: string, held: number, written: number): void {
  if (held !== written) throw new DestinationError('io', `${temp}: the filesystem holds ${held} bytes of the ${written} written; check the disk`);
}

/**
 * A small body: read whole first, then the temp file is created, written in one call, given its
 * mtime (on the open file, so the fsync covers it), fsynced, checked and closed. A body that fails
 * leaves no file, as none is created before all of it is here.
 */
async function receiveWhole(input: PutInput, temp: string): Promise<{ size: number; sha256: string }> {
  const { data, size, sha256 } = await readWholeBody(input);
  const fd = await createTempFd(temp);
  try {
    writeFullySync(fd, data);
    futimesSync(fd, input.mtime, input.mtime);
    await fsyncFd(fd);
    checkHolds(temp, fstatSync(fd).size, size);
    return { size, sha256 };
  } finally {
    closeSync(fd);
  }
}

/** A large (or unannounced) body: streamed through the meter, written as it comes. */
async function writeStreamed(handle: FileHandle, input: PutInput): Promise<{ size: number; sha256: string }> {
  const measured = meter(input);
  const file = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writeFully(handle, chunk).then(() => callback(), callback);
    },
  });
  await pipeline(input.body, measured.stream, file, ...(input.signal ? [{ signal: input.signal }] : []));
  return measured.result();
}

export class DiskSink implements Sink {
  readonly root: string;
  readonly cheapStat = true;
  /** A file has no place for the media id (the manifest has it). */
  readonly carriesMediaId = false;
  /** Directories already cleaned of stale temp files by this sink. */
  private readonly swept = new Set<string>();
  /** Directories with new entries not yet fsynced (see flush). */
  private readonly unsynced = new Set<string>();

  constructor(root: string) {
    this.root = resolve(root);
  }

  get location(): string {
    return this.root;
  }

  /** Absolute path of a key, refusing any key that could leave the destination. */
  pathOf(key: string): string {
    const path = resolve(this.root, ...key.split('/'));
    if (!isSafeKey(key) || !path.startsWith(this.root + sep)) throw new DestinationError('unsafe-key', `${this.root}: refusing unsafe destination key ${JSON.stringify(key)}`);
    return path;
  }

  /** Errors no retry can fix (disk full, read-only, denied...) come out as DestinationErrors. */
  put(input: PutInput): Promise<StoredObject> {
    return onDisk(this.root, () => this.putFile(input));
  }

  private async putFile(input: PutInput): Promise<StoredObject> {
    const first = input.candidates[0];
    if (first === undefined) throw new Error('put needs at least one candidate key');
    const dir = dirname(this.pathOf(first));
    if (!this.swept.has(dir)) {
      // First put into this folder by this sink: create it, and clear what dead writers left.
      await makeDirs(dir);
      await sweepDirectory(dir);
      this.swept.add(dir);
    }
    const temp = join(dir, tempName());
    let published = false;
    try {
      const { size, sha256 } = isSmallBody(input) ? await receiveWhole(input, temp) : await this.receive(input, temp);
      const key = await this.publish(input, temp, size, sha256);
      published = true;
      // Gone already when the copy in place was replaced by it (publish's rename).
      try {
        unlinkSync(temp);
      } catch {
        // a temp name left behind is swept once this process has ended
      }
      return { key, size, sha256 };
    } finally {
      if (!published) await unlink(temp).catch(() => undefined);
    }
  }

  /**
   * Streams a large (or unannounced) body into the temp file while hashing and counting, gives the
   * file its mtime and fsyncs it: bytes and mtime are durable before the file is published.
   */
  private async receive(input: PutInput, temp: string): Promise<{ size: number; sha256: string }> {
    // The file is created before any byte is read, and closed before put's cleanup runs, so a
    // body that fails early can never leave a temp file created after the cleanup.
    const handle = await createTemp(temp);
    try {
      const result = await writeStreamed(handle, input);
      // On the open file (futimens), not by path: one lookup less, and the fsync below covers it.
      await handle.utimes(input.mtime, input.mtime);
      await handle.sync();
      checkHolds(temp, (await handle.stat()).size, result.size);
      return result;
    } finally {
      await handle.close();
    }
  }

  /** Links the temp file under the first usable candidate key. */
  private async publish(input: PutInput, temp: string, size: number, sha256: string): Promise<string> {
    for (const key of input.candidates) {
      const path = this.pathOf(key);
      const owner = input.ownerOf(key);
      if (owner === 'another-item') continue;
      try {
        linkSync(temp, path);
        this.unsynced.add(dirname(path));
        return key;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      // The name is taken. It is ours when the manifest says so, or when nobody claims it and it
      // holds exactly these bytes (a previous attempt stored it, then died before recording it).
      const existing = await stat(path);
      if (owner === 'this-item' || (existing.size === size && (await sha256File(path)) === sha256)) {
        // Our temp file carries the mtime already; a copy found in place gets it now.
        if (owner === 'this-item') {
          await rename(temp, path);
          await fsyncPath(dirname(path));
        } else await utimes(path, input.mtime, input.mtime);
        return key;
      }
    }
    throw new Error(`no free name for ${input.originalFilename} among ${input.candidates.join(', ')}`);
  }

  /**
   * fsyncs the directories that gained files, once for many files rather than once each, and all
   * at once (the filesystem commits concurrent fsyncs together).
   */
  flush(): Promise<void> {
    return onDisk(this.root, () => this.syncDirectories());
  }

  private async syncDirectories(): Promise<void> {
    const dirs = [...this.unsynced];
    this.unsynced.clear();
    const results = await Promise.allSettled(dirs.map((dir) => fsyncPath(dir)));
    const failed = results.findIndex((result) => result.status === 'rejected');
    if (failed >= 0) {
      // Not durable yet: try these again at the next flush, and fail this one.
      for (const dir of dirs) this.unsynced.add(dir);
      throw (results[failed] as PromiseRejectedResult).reason;
    }
  }

  /** Removes stale temp files (of dead writers) anywhere under the destination. */
  async sweep(): Promise<number> {
    let removed = 0;
    const visit = async (dir: string): Promise<void> => {
      removed += await sweepDirectory(dir);
      for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        if (entry.isDirectory() && !entry.name.startsWith('.')) await visit(join(dir, entry.name));
      }
    };
    await visit(this.root);
    return removed;
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    try {
      const s = await stat(this.pathOf(key));
      return s.isFile() ? { size: s.size } : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async remove(key: string): Promise<void> {
    const path = this.pathOf(key);
    await onDisk(path, async () => {
      try {
        await unlink(path);
        this.unsynced.add(dirname(path));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    });
  }

  /** A stat: files carry no media id and are always readable. */
  head(key: string): Promise<ObjectInfo | undefined> {
    return this.stat(key);
  }

  read(key: string): Readable {
    return createReadStream(this.pathOf(key));
  }

  /** With `owner`, never over another file: a photo may itself be named `a.jpg.json`. */
  async writeText(key: string, text: string, owner?: string): Promise<void> {
    const path = this.pathOf(key);
    await onDisk(path, async () => {
      await makeDirs(dirname(path));
      const temp = join(dirname(path), tempName());
      try {
        await writeFile(temp, text, { flag: 'wx', mode: 0o644 });
        await fsyncPath(temp);
        if (owner === undefined) await rename(temp, path);
        else if (!(await placeSidecar(temp, path, owner))) console.warn(`${path}: sidecar not written, another item's file is there`);
      } finally {
        await unlink(temp).catch(() => undefined);
      }
    });
  }
}
