// The manifest of an S3 destination: `<prefix>/.gphotos-backup/manifest/<time>-<random>.jsonl`
// segments, each written whole by one PutObject when a batch flushes (an object is never half
// written) and never modified. Readers merge every segment; a later line for an id wins. Records
// not yet flushed when a worker dies are lost: that costs re-checking those items, never a photo.
// Failures and repair marks (what `verify` found missing or corrupt, see repair.ts) are segments
// of their own under `failures/` and `repair/` beside it.
import { randomBytes } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ManifestIndex, MANIFEST_DIR, type FailureEntry, type Manifest, type ManifestEntry } from './manifest.js';
import type { RepairMark } from './repair.js';

type SegmentKind = 'manifest' | 'failures' | 'repair';

export class S3Manifest extends ManifestIndex implements Manifest {
  private readonly seen = new Set<string>();
  /** Lines not yet written, per kind of segment (only ever serialised). */
  private readonly pending: Record<SegmentKind, object[]> = { manifest: [], failures: [], repair: [] };
  private reading: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {
    super();
  }

  private dir(kind: SegmentKind): string {
    return `${this.prefix ? `${this.prefix}/` : ''}${MANIFEST_DIR}/${kind}/`;
  }

  refresh(): Promise<void> {
    // Records first: a mark is always written after the record it names.
    this.reading = this.reading.then(async () => {
      await this.readNewSegments('manifest', (text) => this.rememberLines(text));
      await this.readNewSegments('repair', (text) => this.rememberRepairLines(text));
    });
    return this.reading;
  }

  private async readNewSegments(kind: SegmentKind, remember: (text: string) => void): Promise<void> {
    const fresh: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.dir(kind), ...(token ? { ContinuationToken: token } : {}) }));
      for (const object of page.Contents ?? []) if (object.Key && !this.seen.has(object.Key)) fresh.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    // Segment names start with their time: reading them in name order applies later records last.
    for (const key of fresh.sort()) {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      remember((await answer.Body?.transformToString('utf8')) ?? '');
      this.seen.add(key);
    }
  }

  async record(entry: ManifestEntry): Promise<void> {
    this.pending.manifest.push(entry);
    this.remember(entry);
    return Promise.resolve();
  }

  async recordFailure(entry: FailureEntry): Promise<void> {
    this.pending.failures.push(entry);
    return Promise.resolve();
  }

  /** Holds the mark until flush writes it in a `repair/` segment. */
  async markForRepair(mark: RepairMark): Promise<void> {
    this.pending.repair.push(mark);
    this.rememberRepair(mark);
    return Promise.resolve();
  }

  private segmentName(kind: SegmentKind): string {
    return `${this.dir(kind)}${new Date().toISOString().replace(/[-:.]/g, '')}-${randomBytes(6).toString('hex')}.jsonl`;
  }

  /** Writes one segment per kind with pending lines; what could not be written stays for the next flush. */
  async flush(): Promise<void> {
    for (const kind of ['manifest', 'failures', 'repair'] as const) {
      const lines = this.pending[kind];
      if (lines.length === 0) continue;
      this.pending[kind] = [];
      const key = this.segmentName(kind);
      const body = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
      try {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/x-ndjson', ChecksumAlgorithm: 'CRC32' }));
      } catch (error) {
        this.pending[kind] = [...lines, ...this.pending[kind]];
        throw error;
      }
      // This process remembered these lines already.
      if (kind !== 'failures') this.seen.add(key);
    }
  }
}
