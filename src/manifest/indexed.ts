// What the disk and S3 manifests share: the index in this machine's cache (index-db.ts) that
// answers every lookup, opened for one destination, with SQLite's errors told apart like the
// disk's: a full or read-only cache folder is named with its fix, not retried.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { cacheDir } from '../config.js';
import { classifyDiskError, DestinationError, type DestinationProblem } from '../sinks/errors.js';
import type { KeyOwnership } from '../sinks/sink.js';
import type { ManifestEntry } from './entries.js';
import { IndexDb } from './index-db.js';

/** The index file of a destination: one per destination per machine, named by a hash of it. */
export function indexFileFor(destination: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), 'index', `${createHash('sha256').update(destination).digest('hex').slice(0, 24)}.sqlite`);
}

/** SQLite result codes no retry can fix, as the disk's problems. */
const SQLITE_PROBLEMS: Record<string, DestinationProblem> = {
  SQLITE_FULL: 'full',
  SQLITE_READONLY: 'read-only',
  SQLITE_CANTOPEN: 'denied',
  SQLITE_PERM: 'denied',
  SQLITE_IOERR: 'io',
};

/** An error of the index as a DestinationError naming the index and the fix, when no retry can fix it. */
export function classifyIndexError(error: unknown, file: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const problem = typeof code === 'string' ? SQLITE_PROBLEMS[code.replace(/^(SQLITE_[A-Z]+).*$/, '$1')] : undefined;
  if (problem === undefined) return classifyDiskError(error, file);
  const message = error instanceof Error ? error.message : String(error);
  return new DestinationError(problem, `the manifest index ${file}: ${message} (${String(code)}): free space there, or set GPHOTOS_CACHE_DIR to a folder this user may write; the index is rebuilt from the destination's records.`, {
    cause: error,
  });
}

export abstract class IndexedManifest {
  protected readonly index: IndexDb;

  protected constructor(destination: string) {
    const file = indexFileFor(destination);
    try {
      this.index = IndexDb.open(file, destination);
    } catch (error) {
      throw classifyIndexError(error, file);
    }
  }

  get(id: string): ManifestEntry | undefined {
    return this.index.get(id);
  }

  ownerOf(key: string, id: string): KeyOwnership {
    return this.index.ownerOf(key, id);
  }

  sameNameAndTime(filename: string, creationTime: string): ManifestEntry[] {
    return this.index.sameNameAndTime(filename, creationTime);
  }

  anonymousOfSize(size: number): ManifestEntry[] {
    return this.index.anonymousOfSize(size);
  }

  needsRepair(id: string): boolean {
    return this.index.needsRepair(id);
  }

  values(): Iterable<ManifestEntry> {
    return this.index.values();
  }

  get size(): number {
    return this.index.size;
  }

  /** Closes the index (a test's or a command's last use; workers keep theirs open). */
  close(): void {
    this.index.close();
  }
}
