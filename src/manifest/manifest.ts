// The destination's record of what is stored and verified: `.gphotos-backup/manifest.jsonl`, one
// JSON line per stored item, appended (O_APPEND, one write per line) and never rewritten in place.
// A line cut short by a crash is ignored, and the next record starts on a fresh line; a later
// line for the same id replaces an earlier one. Items that could not be stored (after their
// tries) go to `failures.jsonl` beside it (the next run tries them again), and what `verify`
// found missing or corrupt to `repair.jsonl` (see repair.ts).
//
// The files are the portable record, for people and other tools. Lookups go to the index
// (index-db.ts) in this machine's cache, which remembers how far it has read each file and a
// fingerprint of the file's start: it reads only what was appended since, and starts again from
// nothing when a file is shorter than what it read or begins differently (replaced, restored).
import { createHash } from 'node:crypto';
import { appendFile, mkdir, open, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { onDisk } from '../sinks/errors.js';
import { writeFully, writeFullySync } from '../sinks/write-fully.js';
import { isEntry, MANIFEST_DIR, type FailureEntry, type Manifest, type ManifestEntry } from './entries.js';
import { IndexedManifest } from './indexed.js';
import { eachJsonLine, openIfExists, readLines } from './json-lines.js';
import { isRepairMark, type RepairMark } from './repair.js';

export * from './entries.js';

/** Bytes of a file's start the index keeps a fingerprint of. */
const HEAD_BYTES = 4096;

function fingerprint(bytes: Buffer): string {
  return `${bytes.length}:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** What the index last read of one of the destination's JSON-lines files. */
interface Tail {
  readonly file: string;
  /** Its name in the index's meta table. */
  readonly name: 'manifest' | 'repair';
  readonly apply: (text: string) => void;
}

export class DiskManifest extends IndexedManifest implements Manifest {
  private readonly file: string;
  private readonly failuresFile: string;
  private readonly repairFile: string;
  private readonly tails: readonly Tail[];

  private constructor(readonly root: string) {
    super(`disk:${resolve(root)}`);
    this.file = join(root, MANIFEST_DIR, 'manifest.jsonl');
    this.failuresFile = join(root, MANIFEST_DIR, 'failures.jsonl');
    this.repairFile = join(root, MANIFEST_DIR, 'repair.jsonl');
    // Records first: a mark is always written after the record it names.
    this.tails = [
      { file: this.file, name: 'manifest', apply: (text) => eachJsonLine(text, isEntry, (entry) => this.index.apply(entry)) },
      { file: this.repairFile, name: 'repair', apply: (text) => eachJsonLine(text, isRepairMark, (mark) => this.index.condemn(mark)) },
    ];
  }

  static async open(root: string): Promise<DiskManifest> {
    const manifest = new DiskManifest(root);
    await manifest.refresh();
    return manifest;
  }

  private reading: Promise<void> = Promise.resolve();

  /** Reads what was appended since the index last read (by this or any other process). */
  refresh(): Promise<void> {
    this.reading = this.reading.then(() => this.catchUp());
    return this.reading;
  }

  private async catchUp(): Promise<void> {
    for (const tail of this.tails) {
      if ((await this.readTail(tail)) === 'stale') {
        this.index.writing(() => this.index.clearAll());
        await this.rebuild();
        return;
      }
    }
  }

  /** Reads both files from their start into an emptied index. */
  private async rebuild(): Promise<void> {
    await this.index.bulk(async () => {
      for (const tail of this.tails) await this.readTail(tail);
    });
  }

  /** Applies the whole lines appended to one file since the index last read it; 'stale' when the file is not the one it read. */
  private async readTail(tail: Tail): Promise<'read' | 'stale'> {
    const handle = await onDisk(tail.file, () => openIfExists(tail.file));
    try {
      const size = handle ? (await handle.stat()).size : 0;
      for (;;) {
        const from = Number(this.index.meta(`${tail.name}.offset`) ?? 0);
        if (from > size || (from > 0 && handle && (await this.headOf(handle, tail)) !== this.index.meta(`${tail.name}.head`))) return 'stale';
        if (!handle || from === size) return 'read';
        const lines = await onDisk(tail.file, () => readLines(handle, from, size));
        if (lines.next === from) return 'read'; // only a partial last line: it waits
        const head = from === 0 ? await this.headOf(handle, tail, lines.next) : undefined;
        this.index.writing(() => {
          if (Number(this.index.meta(`${tail.name}.offset`) ?? 0) !== from) return; // another process read it meanwhile
          tail.apply(lines.text);
          this.index.setMeta(`${tail.name}.offset`, String(lines.next));
          if (head !== undefined) this.index.setMeta(`${tail.name}.head`, head);
        });
      }
    } finally {
      await handle?.close();
    }
  }

  /** The fingerprint of the file's first bytes: as many as the index fingerprinted, or up to HEAD_BYTES of `upTo`. */
  private async headOf(handle: FileHandle, tail: Tail, upTo?: number): Promise<string> {
    const known = this.index.meta(`${tail.name}.head`);
    const length = upTo !== undefined ? Math.min(HEAD_BYTES, upTo) : Number(known?.split(':')[0] ?? 0);
    const bytes = Buffer.alloc(length);
    const { bytesRead } = await handle.read(bytes, 0, length, 0);
    return fingerprint(bytes.subarray(0, bytesRead));
  }

  private appender: Promise<FileHandle> | undefined;

  /** One O_APPEND handle for the process: each record is a single write(2) of a whole line. */
  private handle(): Promise<FileHandle> {
    this.appender ??= openForAppend(this.file);
    void this.appender.catch(() => (this.appender = undefined));
    return this.appender;
  }

  async record(entry: ManifestEntry): Promise<void> {
    // One line is small: written synchronously, without a trip through libuv's pool.
    await onDisk(this.file, async () => writeFullySync((await this.handle()).fd, Buffer.from(`${JSON.stringify(entry)}\n`)));
    // In the index at once; the next refresh reads the line again, which changes nothing.
    this.index.apply(entry);
  }

  /** fsyncs the manifest file (after a batch of records). */
  async flush(): Promise<void> {
    const appender = this.appender;
    if (appender) await onDisk(this.file, async () => (await appender).sync());
  }

  private async appendLine(file: string, value: FailureEntry | RepairMark): Promise<void> {
    await onDisk(file, async () => {
      await mkdir(join(this.root, MANIFEST_DIR), { recursive: true });
      await appendFile(file, `${JSON.stringify(value)}\n`);
    });
  }

  async recordFailure(entry: FailureEntry): Promise<void> {
    await this.appendLine(this.failuresFile, entry);
  }

  /** Appends the mark to `repair.jsonl` (one write of a whole line, like the records). */
  async markForRepair(mark: RepairMark): Promise<void> {
    await this.appendLine(this.repairFile, mark);
    this.index.condemn(mark);
  }

  /** A folder's files need no tidying: one append-only file grows by a line per item. */
  tidy(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }
}

/**
 * Opens a JSON-lines file for appending. When its last line was torn (a crash mid-write), a
 * newline ends it first, so the next record starts on a line of its own instead of being glued
 * to the torn one and lost with it.
 */
async function openForAppend(file: string): Promise<FileHandle> {
  return onDisk(file, async () => {
    await mkdir(join(file, '..'), { recursive: true });
    const handle = await open(file, 'a+');
    try {
      const { size } = await handle.stat();
      const last = Buffer.alloc(1);
      if (size > 0 && (await handle.read(last, 0, 1, size - 1)).bytesRead === 1 && last[0] !== 0x0a) await writeFully(handle, Buffer.from('\n'));
      return handle;
    } catch (error) {
      await handle.close();
      throw error;
    }
  });
}

const openManifests = new Map<string, Promise<DiskManifest>>();

/** One manifest object per folder per process, refreshed from disk before each use. */
export async function diskManifestFor(root: string): Promise<DiskManifest> {
  let manifest = openManifests.get(root);
  if (!manifest) {
    manifest = DiskManifest.open(root);
    openManifests.set(root, manifest);
    void manifest.catch(() => openManifests.delete(root));
  }
  const m = await manifest;
  await m.refresh();
  return m;
}
