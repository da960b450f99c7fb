// What a manifest holds and offers, whatever keeps it: the record of one stored item, the record
// of an item that could not be stored, and the Manifest interface the activities and `verify` use.
import type { KeyOwnership } from '../sinks/sink.js';
import type { RepairMark } from './repair.js';

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
  /**
   * This record's bytes replaced a rendition of the same photo stored from another source (a
   * Takeout original over the API's `=d` download): what was there before, for provenance.
   */
  readonly supersedes?: {
    readonly source: SourceName;
    readonly size: number;
    readonly sha256: string;
    readonly storedAt: string;
    /** What told the two apart as one photo: the id in the Takeout JSON's `url`, or the uploaded name and capture time. */
    readonly by: 'url' | 'name-and-time';
  };
}

export interface FailureEntry {
  readonly id: string;
  readonly filename?: string;
  readonly reason: string;
  /** Tries spent on the item before it was given up for this run. */
  readonly attempts?: number;
  readonly at: string;
}

export function isEntry(value: unknown): value is ManifestEntry {
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
  /** Stored copies (not `sameAs` records) with this name and capture time, for recognising an item under another id. */
  sameNameAndTime(filename: string, creationTime: string): ManifestEntry[];
  /** Stored copies of this size that have no name or no capture time (recognised by their bytes alone). */
  anonymousOfSize(size: number): ManifestEntry[];
  /** The latest entry of every item, read a page at a time (for a pass over a large manifest). */
  values(): Iterable<ManifestEntry>;
  /** How many items have a record (one query: read it once, not per item). */
  readonly size: number;
  record(entry: ManifestEntry): Promise<void>;
  recordFailure(entry: FailureEntry): Promise<void>;
  /** Whether `verify` found the item's latest record missing or corrupt (the next run fetches it again). */
  needsRepair(id: string): boolean;
  /** Records what `verify` found wrong with a record (durable after flush). */
  markForRepair(mark: RepairMark): Promise<void>;
  /** Makes the records so far durable. */
  flush(): Promise<void>;
  /** Tidies the destination's own records where they grew (S3: merges many segments into a snapshot); returns what it did, for the log. */
  tidy(): Promise<string | undefined>;
}

/** How an item is recognised under another id: its name and capture time (to the millisecond). */
export function identityOf(filename: string | undefined, creationTime: string | undefined): string | undefined {
  const time = creationTime === undefined ? Number.NaN : Date.parse(creationTime);
  if (!filename || Number.isNaN(time)) return undefined;
  return `${time} ${filename.normalize('NFC')}`;
}

