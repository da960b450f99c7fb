// The destination's record of what is stored and verified: `.gphotos-backup/manifest.jsonl`, one
// JSON line per stored item, appended (O_APPEND, one write per line) and never rewritten in place.
// A line cut short by a crash is ignored, and the next record starts on a fresh line; a later
// line for the same id replaces an earlier one. Items that could not be stored (after their
// tries) go to `failures.jsonl` beside it; the next run tries them again.
import { appendFile, mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { onDisk } from '../sinks/errors.js';
import type { KeyOwnership } from '../sinks/sink.js';
import { writeFully } from '../sinks/write-fully.js';

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
  readonly size: number;
  record(entry: ManifestEntry): Promise<void>;
  recordFailure(entry: FailureEntry): Promise<void>;
  /** Makes the records so far durable. */
  flush(): Promise<void>;
}

/** The in-memory index of a manifest: latest entry per id, and which id owns each key. */
export class ManifestIndex {
  private readonly byId = new Map<string, ManifestEntry>();
  private readonly byKey = new Map<string, string>();

  /** Parses JSON lines; torn or foreign lines are skipped (the item is simply checked again). */
  protected rememberLines(text: string): void {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const value: unknown = JSON.parse(line);
        if (isEntry(value)) this.remember(value);
      } catch {
        // a line torn by a crash
      }
    }
  }

  protected remember(entry: ManifestEntry): void {
    const previous = this.byId.get(entry.id);
    if (previous && this.byKey.get(previous.key) === entry.id) this.byKey.delete(previous.key);
    this.byId.set(entry.id, entry);
    this.byKey.set(entry.key, entry.id);
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

  get size(): number {
    return this.byId.size;
  }
}

export class DiskManifest extends ManifestIndex implements Manifest {
  private offset = 0;
  private readonly file: string;
  private readonly failuresFile: string;

  private constructor(readonly root: string) {
    super();
    this.file = join(root, MANIFEST_DIR, 'manifest.jsonl');
    this.failuresFile = join(root, MANIFEST_DIR, 'failures.jsonl');
  }

  static async open(root: string): Promise<DiskManifest> {
    const manifest = new DiskManifest(root);
    await manifest.refresh();
    return manifest;
  }

  private reading: Promise<void> = Promise.resolve();

  /** Reads what was appended since the last read (by this or any other process). */
  refresh(): Promise<void> {
    // One read at a time: each advances the offset past exactly what it parsed.
    this.reading = this.reading.then(() => this.readAppended());
    return this.reading;
  }

  private async readAppended(): Promise<void> {
    let handle;
    try {
      handle = await open(this.file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      if (size <= this.offset) return;
      const buffer = Buffer.alloc(size - this.offset);
      await handle.read(buffer, 0, buffer.length, this.offset);
      const complete = buffer.lastIndexOf(0x0a) + 1; // only whole lines; a partial tail waits
      this.rememberLines(buffer.subarray(0, complete).toString('utf8'));
      this.offset += complete;
    } finally {
      await handle.close();
    }
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

  async recordFailure(entry: FailureEntry): Promise<void> {
    await onDisk(this.failuresFile, async () => {
      await mkdir(join(this.root, MANIFEST_DIR), { recursive: true });
      await appendFile(this.failuresFile, `${JSON.stringify(entry)}\n`);
    });
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
