// The manifest of an S3 destination: `<prefix>/.gphotos-backup/manifest/<time>-<random>.jsonl`
// segments, each written whole by one PutObject when a batch flushes (an object is never half
// written) and never modified; a later line for an id wins. Records not yet flushed when a worker
// dies are lost: that costs re-checking those items, never a photo. Failures and repair marks
// (what `verify` found missing or corrupt, see repair.ts) are segments of their own under
// `failures/` and `repair/` beside it.
//
// Segments pile up (one per 50 items), so tidy() merges them (compaction.ts): the records of a
// snapshot plus its covered segments are written as one gzipped snapshot under `snapshot/`, first,
// and only then are the merged segments and older snapshots deleted. A reader takes the newest
// snapshot and the segments it does not cover: a bounded number of requests, whatever the number
// of segments ever written. Lookups go to the index in this machine's cache (index-db.ts), which
// remembers which snapshot and segments it holds.
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { isNotFound } from '../sinks/s3-exclusive.js';
import { isEntry, type FailureEntry, type Manifest, type ManifestEntry } from './entries.js';
import { IndexedManifest } from './indexed.js';
import { eachJsonLine, eachStreamedLine } from './json-lines.js';
import { isRepairMark, type RepairMark } from './repair.js';
import { compact, isSnapshotHeader, type SnapshotHeader } from './compaction.js';
import { inOrder } from './in-order.js';
import { dirOf, listKeys, segmentName, type S3Place } from './s3-objects.js';

/** Segments fetched at once when catching up. */
const READ_AHEAD = 8;
/** Records applied per transaction while loading a snapshot. */
const LOAD_BATCH = 5000;

export interface S3ManifestOptions {
  /** tidy() merges the segments once there are at least this many (default 200). */
  readonly compactAt?: number;
}

export class S3Manifest extends IndexedManifest implements Manifest {
  /** Lines not yet written, per kind of segment (only ever serialised). */
  private readonly pending: Record<'manifest' | 'failures' | 'repair', object[]> = { manifest: [], failures: [], repair: [] };
  private reading: Promise<unknown> = Promise.resolve();
  private readonly place: S3Place;

  constructor(
    client: S3Client,
    bucket: string,
    prefix: string,
    /** Names the destination for the index (endpoint, bucket and prefix). */
    destination: string,
    private readonly options: S3ManifestOptions = {},
  ) {
    super(`s3:${destination}`);
    this.place = { client, bucket, prefix };
  }

  /** Runs `work` after every earlier read (one catch-up or compaction at a time in this process). */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.reading.then(work);
    this.reading = next.catch(() => undefined);
    return next;
  }

  refresh(): Promise<void> {
    return this.serially(() => this.catchUp());
  }

  private async catchUp(): Promise<void> {
    // A snapshot or segment deleted by a compaction between the listing and the read: look again.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.readManifest();
        break;
      } catch (error) {
        if (!isNotFound(error) || attempt >= 3) throw error;
      }
    }
    // Records first: a mark is always written after the record it names.
    await this.readSegments(await listKeys(this.place, 'repair'), (text) => eachJsonLine(text, isRepairMark, (mark) => this.index.condemn(mark)));
  }

  private async readManifest(): Promise<void> {
    // Segments before snapshots: a segment merged and deleted after this listing is in a
    // snapshot the next listing shows.
    const segments = await listKeys(this.place, 'manifest');
    const newest = (await listKeys(this.place, 'snapshot')).filter((key) => key.endsWith('.jsonl.gz')).at(-1);
    const listed = new Set(segments);
    const taken = this.index.meta('snapshot');
    // Segments the index read that are gone, and not merged into the snapshot it took.
    const gone = this.index.consumedNames().filter((name) => name.startsWith(dirOf(this.place, 'manifest')) && !listed.has(name) && !this.index.covered(name));
    if (newest !== undefined && newest !== taken) await this.takeSnapshot(newest, gone);
    // Records deleted behind the index's back (not merged): it no longer matches the destination.
    else if ((taken !== undefined && newest === undefined) || gone.length > 0) this.index.writing(() => this.index.clearAll());
    await this.readSegments(
      segments.filter((key) => !this.index.covered(key)),
      (text) => eachJsonLine(text, isEntry, (entry) => this.index.apply(entry)),
    );
    this.index.writing(() => this.index.forgetConsumed((name) => listed.has(name) || !name.startsWith(dirOf(this.place, 'manifest'))));
  }

  /** Reads the segments not yet in the index, several at once, and applies them in name order. */
  private async readSegments(keys: readonly string[], apply: (text: string) => void): Promise<void> {
    const fresh = keys.filter((key) => !this.index.consumed(key));
    await inOrder(fresh, READ_AHEAD, (key) => this.text(key), (key, text) =>
      this.index.writing(() => {
        apply(text);
        this.index.consume(key);
      }),
    );
  }

  private async body(key: string): Promise<Readable> {
    const answer = await this.place.client.send(new GetObjectCommand({ Bucket: this.place.bucket, Key: key }));
    return answer.Body as Readable;
  }

  private async text(key: string): Promise<string> {
    const answer = await this.place.client.send(new GetObjectCommand({ Bucket: this.place.bucket, Key: key }));
    return (await answer.Body?.transformToString('utf8')) ?? '';
  }

  /**
   * Brings the index to a snapshot it has not taken: when it holds everything the snapshot covers
   * (and the snapshot accounts for every segment it read that is gone), only notes it; otherwise
   * (a new machine, or one that missed merged segments) starts again from the snapshot's
   * records, streamed a batch at a time.
   */
  private async takeSnapshot(key: string, gone: readonly string[]): Promise<void> {
    const body = await this.body(key);
    const lines = body.pipe(createGunzip());
    lines.on('close', () => body.destroy());
    let header: SnapshotHeader | undefined;
    /** Whether the index holds all the snapshot covers already: its records are then not needed. */
    let held = false;
    let batch: ManifestEntry[] = [];
    const load = () => {
      const entries = batch;
      batch = [];
      this.index.writing(() => entries.forEach((entry) => this.index.apply(entry)));
    };
    await eachStreamedLine(lines, (v): v is SnapshotHeader | ManifestEntry => isSnapshotHeader(v) || isEntry(v), (value) => {
      if (isSnapshotHeader(value)) {
        if (header !== undefined) return;
        header = value;
        const covers = new Set(value.snapshot.covers);
        held = value.snapshot.covers.every((name) => this.index.consumed(name) || this.index.covered(name)) && gone.every((name) => covers.has(name));
        if (held) return 'stop';
        this.index.writing(() => this.index.clearAll());
        this.index.dropLookups(); // made again once the snapshot is in
        return;
      }
      if (header === undefined) return;
      batch.push(value);
      if (batch.length >= LOAD_BATCH) load();
    });
    if (header === undefined) throw new Error(`s3://${this.place.bucket}/${key} is not a manifest snapshot (no header line)`);
    load();
    this.index.makeLookups();
    const covers = header.snapshot.covers;
    this.index.writing(() => {
      this.index.setCovered(covers);
      this.index.consume(key);
      this.index.setMeta('snapshot', key);
    });
  }

  async record(entry: ManifestEntry): Promise<void> {
    this.pending.manifest.push(entry);
    this.index.apply(entry);
    return Promise.resolve();
  }

  async recordFailure(entry: FailureEntry): Promise<void> {
    this.pending.failures.push(entry);
    return Promise.resolve();
  }

  /** Holds the mark until flush writes it in a `repair/` segment. */
  async markForRepair(mark: RepairMark): Promise<void> {
    this.pending.repair.push(mark);
    this.index.condemn(mark);
    return Promise.resolve();
  }

  /** Writes one segment per kind with pending lines; what could not be written stays for the next flush. */
  async flush(): Promise<void> {
    for (const kind of ['manifest', 'failures', 'repair'] as const) {
      const lines = this.pending[kind];
      if (lines.length === 0) continue;
      this.pending[kind] = [];
      const key = segmentName(this.place, kind);
      const body = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
      try {
        await this.place.client.send(new PutObjectCommand({ Bucket: this.place.bucket, Key: key, Body: body, ContentType: 'application/x-ndjson', ChecksumAlgorithm: 'CRC32' }));
      } catch (error) {
        this.pending[kind] = [...lines, ...this.pending[kind]];
        throw error;
      }
      // This process applied these lines already.
      if (kind !== 'failures') this.index.consume(key);
    }
  }

  /** Merges the segments into a snapshot once there are many (see compaction.ts). */
  tidy(): Promise<string | undefined> {
    return this.serially(async () => {
      await this.catchUp();
      return compact(this.place, this.index, this.options.compactAt ?? 200);
    });
  }
}
