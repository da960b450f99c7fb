// Compaction of an S3 manifest: the index's records (everything in the snapshot it took and the
// segments it read since) become one new snapshot, `snapshot/<time>-<random>.jsonl.gz`, gzipped
// JSON lines after a header that names what it covers: the merged segments and the snapshot it
// grew from. The snapshot is written first, with a multipart upload that appears only whole; the
// merged segments and older snapshots are deleted after, so a crash between the two leaves
// records twice, never none. When another compaction wrote a newer snapshot meanwhile, this one
// deletes nothing (the newer one's writer does), so a reader of the newest snapshot and the
// segments it does not cover always sees every record.
import { DeleteObjectsCommand } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { BufferPool, uploadMultipart } from '../sinks/multipart.js';
import type { IndexDb } from './index-db.js';
import { listKeys, segmentName, type S3Place } from './s3-objects.js';

export interface SnapshotHeader {
  readonly snapshot: {
    /** Keys of the segments merged into it and of the snapshot it grew from. */
    readonly covers: readonly string[];
    readonly records: number;
    readonly at: string;
  };
}

export function isSnapshotHeader(value: unknown): value is SnapshotHeader {
  const covers = (value as Partial<SnapshotHeader> | null)?.snapshot?.covers;
  return Array.isArray(covers) && covers.every((key) => typeof key === 'string');
}

/** Part size of the snapshot upload (parts are gzipped JSON lines). */
const PART_BYTES = 8 * 1024 * 1024;

/** The snapshot's lines, in chunks of about 64 KB. */
function* snapshotLines(header: SnapshotHeader, index: IndexDb): Generator<Buffer> {
  let chunk = `${JSON.stringify(header)}\n`;
  for (const line of index.lines()) {
    chunk += `${line}\n`;
    if (chunk.length < 65536) continue;
    yield Buffer.from(chunk);
    chunk = '';
  }
  yield Buffer.from(chunk);
}

async function writeSnapshot(place: S3Place, key: string, header: SnapshotHeader, index: IndexDb): Promise<void> {
  const gzipped = Readable.from(snapshotLines(header, index)).pipe(createGzip());
  await uploadMultipart(gzipped, {
    client: place.client,
    params: { Bucket: place.bucket, Key: key, ContentType: 'application/x-ndjson', ContentEncoding: 'gzip' },
    pool: new BufferPool(PART_BYTES, 2),
    queueSize: 2,
  });
}

async function deleteKeys(place: S3Place, keys: readonly string[]): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < keys.length; i += 1000) {
    const Objects = keys.slice(i, i + 1000).map((Key) => ({ Key }));
    const answer = await place.client.send(new DeleteObjectsCommand({ Bucket: place.bucket, Delete: { Objects, Quiet: true } }));
    // A key that could not be deleted stays covered: readers skip it, the next compaction deletes it.
    deleted += Objects.length - (answer.Errors?.length ?? 0);
  }
  return deleted;
}

/**
 * Merges the manifest segments the index holds into a snapshot once there are at least
 * `compactAt` of them. The index must have caught up just before. Returns what it did, or
 * undefined when there was too little to merge.
 */
export async function compact(place: S3Place, index: IndexDb, compactAt: number): Promise<string | undefined> {
  const merged = (await listKeys(place, 'manifest')).filter((key) => index.consumed(key) || index.covered(key));
  if (merged.length < compactAt) return undefined;
  const base = index.meta('snapshot');
  const key = segmentName(place, 'snapshot', '.jsonl.gz');
  const records = index.size;
  const header: SnapshotHeader = { snapshot: { covers: [...merged, ...(base ? [base] : [])], records, at: new Date().toISOString() } };
  await writeSnapshot(place, key, header, index);
  const snapshots = await listKeys(place, 'snapshot');
  if (snapshots.some((other) => other > key)) return `merged ${merged.length} manifest segments (${records} records) into ${key}; a newer snapshot exists, so nothing was deleted`;
  index.writing(() => {
    index.consume(key);
    index.setCovered(header.snapshot.covers);
    index.setMeta('snapshot', key);
  });
  const deleted = await deleteKeys(place, [...merged, ...snapshots.filter((other) => other < key)]);
  return `merged ${merged.length} manifest segments (${records} records) into ${key}; deleted ${deleted} merged objects`;
}
