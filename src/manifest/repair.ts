// Repair marks: what `verify` found missing or corrupt, so that the next backup fetches exactly
// those items again. A mark names the manifest record it condemns (id, key, sha256, storedAt) and
// holds as long as that record is the item's latest: once the item is stored again, its new
// record differs (a new storedAt at least) and the mark lapses by itself. So marks need no
// ordering against manifest records (S3 segment names follow the writer's clock) and are never
// removed. They are appended like the manifest: `.gphotos-backup/repair.jsonl` on disk, segments
// under `.gphotos-backup/repair/` in S3. Readers that do not know them simply ignore them.
import type { ManifestEntry } from './manifest.js';

export type RepairProblem = 'missing' | 'corrupt';

export interface RepairMark {
  readonly id: string;
  /** Key, sha256 and storedAt of the condemned manifest record. */
  readonly key: string;
  readonly sha256: string;
  readonly storedAt?: string;
  readonly problem: RepairProblem;
  /** What was wrong, for people reading the file: e.g. "sha256 differs". */
  readonly detail?: string;
  /** When verify found it. */
  readonly at: string;
}

type RecordIdentity = Pick<ManifestEntry, 'id' | 'key' | 'sha256'> & { readonly storedAt?: string };

/** One string per manifest record: a mark condemns the record with the same fingerprint. */
export function recordFingerprint(record: RecordIdentity): string {
  return JSON.stringify([record.id, record.key, record.sha256, record.storedAt ?? '']);
}

export function repairMarkFor(entry: ManifestEntry, problem: RepairProblem, detail?: string): RepairMark {
  return {
    id: entry.id,
    key: entry.key,
    sha256: entry.sha256,
    ...(entry.storedAt !== undefined ? { storedAt: entry.storedAt } : {}),
    problem,
    ...(detail !== undefined ? { detail } : {}),
    at: new Date().toISOString(),
  };
}

export function isRepairMark(value: unknown): value is RepairMark {
  const v = value as Partial<RepairMark> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.id === 'string' &&
    typeof v.key === 'string' &&
    typeof v.sha256 === 'string' &&
    (v.problem === 'missing' || v.problem === 'corrupt')
  );
}
