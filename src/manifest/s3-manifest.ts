// The manifest of an S3 destination: `<prefix>/.gphotos-backup/manifest/<time>-<random>.jsonl`
// segments, each written whole by one PutObject when a batch flushes (an object is never half
// written) and never modified. Readers merge every segment; a later line for an id wins. Records
// not yet flushed when a worker dies are lost: that costs re-checking those items, never a photo.
import { randomBytes } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ManifestIndex, MANIFEST_DIR, type FailureEntry, type Manifest, type ManifestEntry } from './manifest.js';

export class S3Manifest extends ManifestIndex implements Manifest {
  private readonly seen = new Set<string>();
  private pending: ManifestEntry[] = [];
  private pendingFailures: FailureEntry[] = [];
  private reading: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {
    super();
  }

  private dir(kind: 'manifest' | 'failures'): string {
    return `${this.prefix ? `${this.prefix}/` : ''}${MANIFEST_DIR}/${kind}/`;
  }

  refresh(): Promise<void> {
    this.reading = this.reading.then(() => this.readNewSegments());
    return this.reading;
  }

  private async readNewSegments(): Promise<void> {
    const fresh: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.dir('manifest'), ...(token ? { ContinuationToken: token } : {}) }));
      for (const object of page.Contents ?? []) if (object.Key && !this.seen.has(object.Key)) fresh.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    // Segment names start with their time: reading them in name order applies later records last.
    for (const key of fresh.sort()) {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      this.rememberLines((await answer.Body?.transformToString('utf8')) ?? '');
      this.seen.add(key);
    }
  }

  async record(entry: ManifestEntry): Promise<void> {
    this.pending.push(entry);
    this.remember(entry);
    return Promise.resolve();
  }

  async recordFailure(entry: FailureEntry): Promise<void> {
    this.pendingFailures.push(entry);
    return Promise.resolve();
  }

  private segmentName(kind: 'manifest' | 'failures'): string {
    return `${this.dir(kind)}${new Date().toISOString().replace(/[-:.]/g, '')}-${randomBytes(6).toString('hex')}.jsonl`;
  }

  async flush(): Promise<void> {
    const entries = this.pending;
    const failures = this.pendingFailures;
    this.pending = [];
    this.pendingFailures = [];
    try {
      for (const [kind, lines] of [['manifest', entries], ['failures', failures]] as const) {
        if (lines.length === 0) continue;
        const key = this.segmentName(kind);
        const body = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/x-ndjson', ChecksumAlgorithm: 'CRC32' }));
        if (kind === 'manifest') {
          this.seen.add(key);
          entries.length = 0;
        }
      }
    } catch (error) {
      // Not written: keep the records for the next flush.
      this.pending = [...entries, ...this.pending];
      this.pendingFailures = [...failures, ...this.pendingFailures];
      throw error;
    }
  }
}
