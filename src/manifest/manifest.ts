// The destination's record of what is stored and verified: `.gphotos-backup/manifest.jsonl`, one
// JSON line per stored item, appended (O_APPEND, one write per line) and never rewritten in place.
// A line cut short by a crash is ignored, and the next record starts on a fresh line; a later
// line for the same id replaces an earlier one. Items that could not be stored (after their
// tries) go to `failures.jsonl` beside it (the next run tries them again), and what `verify`
// found missing or corrupt to `repair.jsonl` (see repair.ts).
import { appendFile, mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { onDisk } from '../sinks/errors.js';
import type { KeyOwnership } from '../sinks/sink.js';
import { writeFully } from '../sinks/write-fully.js';
import { isRepairMark, recordFingerprint, type RepairMark } from './repair.js';

export const MANIFEST_DIR = '.gphotos-backup';

export type SourceName = 'library' | 'picker' | 'takeout';

export interface ManifestEntry {
  readonly id: string;
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  /** As Google gave it; absent when Google gave none (the item is then under `unknown-date/`). */
  readonly creationTime?: string;
  /** As Google gave it; absent when Google gave none (the key then holds a name from the id). */
  readonly filename?: string;
  readonly source: SourceName;
  readonly storedAt: string;
  /**
   * The item is the same photo as the item with this id, stored already under `key` (same name,
   * capture time, size and sha256, under another id: another Picker session, or the Library
   * API's id). Nothing was stored for this record; it only lets the next run skip the item.
   */
  readonly sameAs?: string;
}

export interface FailureEntry {
  readonly id: string;
  readonly filename?: string;
  readonly reason: string;
  /** Tries spent on the item before it was given up for this run. */
  readonly attempts?: number;
  readonly at: string;
}

function isEntry(value: unknown): value is ManifestEntry {
  const v = value as Partial<ManifestEntry> | null;
  return (
    typeof v === 'object' && v !== null && typeof v.id === 'string' && typeof v.key === 'string' && typeof v.size === 'number' && typeof v.sha256 === 'string'
  );
}

/** What every manifest offers, on disk or in a bucket. */
export interface Manifest {
  /** Picks up what other processes recorded since the last look. */
  refresh(): Promise<void>;
  get(id: string): ManifestEntry | undefined;
  ownerOf(key: string, id: string): KeyOwnership;
  entries(): ManifestEntry[];
  /** Stored copies (not `sameAs` records) with this name and capture time, for recognising an item under another id. */
  sameNameAndTime(filename: string, creationTime: string): ManifestEntry[];
  /** Stored copies of this size that have no name or no capture time (recognised by their bytes alone). */
  anonymousOfSize(size: number): ManifestEntry[];
  /** The latest entry of every item, without copying them (for a pass over a large manifest). */
  values(): IterableIterator<ManifestEntry>;
  readonly size: number;
  record(entry: ManifestEntry): Promise<void>;
  recordFailure(entry: FailureEntry): Promise<void>;
  /** Whether `verify` found the item's latest record missing or corrupt (the next run fetches it again). */
  needsRepair(id: string): boolean;
  /** Records what `verify` found wrong with a record (durable after flush). */
  markForRepair(mark: RepairMark): Promise<void>;
  /** Makes the records so far durable. */
  flush(): Promise<void>;
}

/** Calls `use` with each JSON line of `text` that `accept` takes; torn or foreign lines are skipped. */
function eachJsonLine<T>(text: string, accept: (value: unknown) => value is T, use: (value: T) => void): void {
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue; // a line torn by a crash
    }
    if (accept(value)) use(value);
  }
}

/** How an item is recognised under another id: its name and capture time (to the millisecond). */
export function identityOf(filename: string | undefined, creationTime: string | undefined): string | undefined {
  const time = creationTime === undefined ? Number.NaN : Date.parse(creationTime);
  if (!filename || Number.isNaN(time)) return undefined;
  return `${time} ${filename.normalize('NFC')}`;
}

function addTo<K>(index: Map<K, string[]>, key: K, id: string): void {
  const ids = index.get(key);
  if (!ids) index.set(key, [id]);
  else if (!ids.includes(id)) ids.push(id);
}

/** The in-memory index of a manifest: latest entry per id, which id owns each key, and which records verify condemned. */
export class ManifestIndex {
  private readonly byId = new Map<string, ManifestEntry>();
  private readonly byKey = new Map<string, string>();
  /** identityOf(name, time) → ids stored under it (usually one). */
  private readonly byIdentity = new Map<string, string[]>();
  /** Ids of stored copies without a name or a capture time, by size. */
  private readonly anonymous = new Map<number, string[]>();
  /** Fingerprints of the records repair marks name (see repair.ts). */
  private readonly condemned = new Set<string>();

  /** Parses manifest lines (a skipped line only means the item is checked again). */
  protected rememberLines(text: string): void {
    eachJsonLine(text, isEntry, (entry) => this.remember(entry));
  }

  /** Parses repair-mark lines. */
  protected rememberRepairLines(text: string): void {
    eachJsonLine(text, isRepairMark, (mark) => this.rememberRepair(mark));
  }

  protected remember(entry: ManifestEntry): void {
    const previous = this.byId.get(entry.id);
    if (previous && this.byKey.get(previous.key) === entry.id) this.byKey.delete(previous.key);
    // A mark on a replaced record has lapsed: the item was stored again. (This process reads its
    // own records back on refresh: the same record again keeps its mark.)
    const replaced = previous && recordFingerprint(previous);
    if (replaced !== undefined && replaced !== recordFingerprint(entry)) this.condemned.delete(replaced);
    this.byId.set(entry.id, entry);
    // A sameAs record stores nothing: the key stays its original's.
    if (entry.sameAs !== undefined) return;
    this.byKey.set(entry.key, entry.id);
    const identity = identityOf(entry.filename, entry.creationTime);
    if (identity === undefined) addTo(this.anonymous, entry.size, entry.id);
    else addTo(this.byIdentity, identity, entry.id);
  }

  anonymousOfSize(size: number): ManifestEntry[] {
    return this.copies(this.anonymous.get(size), (entry) => entry.size === size && identityOf(entry.filename, entry.creationTime) === undefined);
  }

  sameNameAndTime(filename: string, creationTime: string): ManifestEntry[] {
    const identity = identityOf(filename, creationTime);
    return identity === undefined ? [] : this.copies(this.byIdentity.get(identity), (entry) => identityOf(entry.filename, entry.creationTime) === identity);
  }

  /** The latest entries of these ids that are stored copies, still trusted and still `fits` (an id's later record may differ). */
  private copies(ids: readonly string[] | undefined, fits: (entry: ManifestEntry) => boolean): ManifestEntry[] {
    return (ids ?? [])
      .map((id) => this.byId.get(id))
      .filter((entry): entry is ManifestEntry => entry !== undefined && entry.sameAs === undefined && !this.needsRepair(entry.id) && fits(entry));
  }

  protected rememberRepair(mark: RepairMark): void {
    this.condemned.add(recordFingerprint(mark));
  }

  needsRepair(id: string): boolean {
    let entry = this.byId.get(id);
    // A sameAs record needs what its original needs: the original's stored copy is the item's.
    if (entry?.sameAs !== undefined) entry = this.byId.get(entry.sameAs);
    return entry !== undefined && entry.sameAs === undefined && this.condemned.has(recordFingerprint(entry));
  }

  get(id: string): ManifestEntry | undefined {
    return this.byId.get(id);
  }

  ownerOf(key: string, id: string): KeyOwnership {
    const owner = this.byKey.get(key);
    return owner === undefined ? 'unknown' : owner === id ? 'this-item' : 'another-item';
  }

  entries(): ManifestEntry[] {
    return [...this.byId.values()];
  }

  values(): IterableIterator<ManifestEntry> {
    return this.byId.values();
  }

  get size(): number {
    return this.byId.size;
  }
}

/** An append-only file of JSON lines, read incrementally: each read gives the whole lines appended since the last. */
class AppendedLines {
  private offset = 0;

  constructor(readonly file: string) {}

  async read(): Promise<string> {
    let handle;
    try {
      handle = await open(this.file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw error;
    }
    try {
      const { size } = await handle.stat();
      if (size <= this.offset) return '';
      const buffer = Buffer.alloc(size - this.offset);
      await handle.read(buffer, 0, buffer.length, this.offset);
      const complete = buffer.lastIndexOf(0x0a) + 1; // only whole lines; a partial tail waits
      this.offset += complete;
      return buffer.subarray(0, complete).toString('utf8');
    } finally {
      await handle.close();
    }
  }
}

export class DiskManifest extends ManifestIndex implements Manifest {
  private readonly file: string;
  private readonly failuresFile: string;
  private readonly manifestLines: AppendedLines;
  private readonly repairLines: AppendedLines;

  private constructor(readonly root: string) {
    super();
    this.file = join(root, MANIFEST_DIR, 'manifest.jsonl');
    this.failuresFile = join(root, MANIFEST_DIR, 'failures.jsonl');
    this.manifestLines = new AppendedLines(this.file);
    this.repairLines = new AppendedLines(join(root, MANIFEST_DIR, 'repair.jsonl'));
  }

  static async open(root: string): Promise<DiskManifest> {
    const manifest = new DiskManifest(root);
    await manifest.refresh();
    return manifest;
  }

  private reading: Promise<void> = Promise.resolve();

  /** Reads what was appended since the last read (by this or any other process). */
  refresh(): Promise<void> {
    // One read at a time: each advances the offsets past exactly what it parsed. Records first:
    // a mark is always written after the record it names.
    this.reading = this.reading.then(async () => {
      this.rememberLines(await this.manifestLines.read());
      this.rememberRepairLines(await this.repairLines.read());
    });
    return this.reading;
  }

  private appender: Promise<FileHandle> | undefined;

  /** One O_APPEND handle for the process: each record is a single write(2) of a whole line. */
  private handle(): Promise<FileHandle> {
    this.appender ??= openForAppend(this.file);
    void this.appender.catch(() => (this.appender = undefined));
    return this.appender;
  }

  async record(entry: ManifestEntry): Promise<void> {
    await onDisk(this.file, async () => writeFully(await this.handle(), Buffer.from(`${JSON.stringify(entry)}\n`)));
    this.remember(entry);
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
    await this.appendLine(this.repairLines.file, mark);
    this.rememberRepair(mark);
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
