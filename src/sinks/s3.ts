// An S3 (or S3-compatible) bucket as a Sink. A body of up to one part goes in one PutObject
// (SHA-256 checked by the server); a longer one streams from the download straight into a
// multipart upload (multipart.ts: fixed part buffers, bounded parallelism, CRC32 per part), which
// becomes visible only when complete: a failed, truncated or cancelled upload is aborted and
// leaves no object and no parts behind. Object metadata names the media item, so a key already
// holding another item's object is never overwritten.
import { PassThrough, Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
  type ServerSideEncryption,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { isSafeKey } from './layout.js';
import { meter } from './meter.js';
import { BufferPool, MAX_PARTS, MIN_PART_SIZE, uploadMultipart } from './multipart.js';
import { readAtMost } from './read-at-most.js';
import type { ObjectInfo, PutInput, Sink, StoredObject } from './sink.js';
import { isArchived } from './storage-class.js';

export interface S3SinkOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Key prefix without leading or trailing slashes ('' for the bucket root). */
  readonly prefix: string;
  readonly storageClass?: StorageClass;
  readonly serverSideEncryption?: ServerSideEncryption;
  readonly kmsKeyId?: string;
  /** Multipart part size in bytes (default 8 MiB; S3's minimum is 5 MiB); also the most sent in one request. */
  readonly partSize?: number;
  /** Parts uploaded in parallel per object (default 4). */
  readonly queueSize?: number;
}

/** Object metadata keys (sent as x-amz-meta-*). */
export const METADATA = {
  mediaId: 'gphotos-media-id',
  creationTime: 'gphotos-creation-time',
  filename: 'gphotos-filename',
  /** Hex sha256 of the original bytes; on objects sent in one request (metadata is fixed when an upload begins). */
  sha256: 'gphotos-sha256',
} as const;

/** Object tag with the hex sha256 of a multipart object, set once its upload has completed. */
export const SHA256_TAG = 'gphotos-sha256';

const MiB = 1024 * 1024;
const DEFAULT_PART_SIZE = 8 * MiB;
const DEFAULT_QUEUE_SIZE = 4;

/** What a HEAD request tells about an object already at a key. */
interface ExistingObject extends ObjectInfo {
  readonly sha256?: string;
}

/** HTTP headers carry Latin-1 only: anything else is percent-encoded (and so is '%'). */
export function encodeMetadataValue(value: string): string {
  return /^[\x20-\x24\x26-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

function isUnsupported(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotImplemented' || e.$metadata?.httpStatusCode === 501;
}

export class S3Sink implements Sink {
  readonly cheapStat = false;
  readonly carriesMediaId = true;
  private readonly client: S3Client;
  /** Keys being uploaded by this process: two items never race for one name. */
  private readonly claimed = new Set<string>();
  /** Keys found holding other bytes for their item in this process: the next attempt uploads at once. */
  private readonly differs = new Set<string>();
  private warnedNoTagging = false;
  /** Part buffers shared by this sink's uploads: memory stays flat however many videos pass. */
  private readonly pool: BufferPool;
  private readonly queueSize: number;

  constructor(private readonly options: S3SinkOptions) {
    this.client = options.client;
    this.queueSize = options.queueSize ?? DEFAULT_QUEUE_SIZE;
    const partSize = options.partSize ?? DEFAULT_PART_SIZE;
    if (partSize < MIN_PART_SIZE) throw new Error(`S3 part size must be at least ${MIN_PART_SIZE} bytes`);
    // Spare buffers for one upload at full speed; concurrent uploads allocate more and drop them after.
    this.pool = new BufferPool(partSize, this.queueSize + 1);
  }

  get location(): string {
    return `s3://${this.options.bucket}${this.options.prefix ? `/${this.options.prefix}` : ''}`;
  }

  objectKey(key: string): string {
    if (!isSafeKey(key)) throw new Error(`refusing unsafe destination key ${JSON.stringify(key)}`);
    return this.options.prefix ? `${this.options.prefix}/${key}` : key;
  }

  /** The first usable candidate key, with what already lies there when it belongs to this item. */
  private async chooseKey(input: PutInput): Promise<{ key: string; existing?: ExistingObject }> {
    for (const key of input.candidates) {
      if (this.claimed.has(key)) continue;
      const owner = input.ownerOf(key);
      if (owner === 'another-item') continue;
      const head = await this.head(key);
      if (!head) return { key };
      if (head.mediaId === input.mediaId) return { key, existing: head };
      if (owner === 'this-item') return { key };
    }
    throw new Error(`no free name for ${input.originalFilename} among ${input.candidates.join(', ')}`);
  }

  /** One HEAD request: size, media id and sha256 from the metadata, and whether the bytes are archived. */
  async head(key: string): Promise<ExistingObject | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }));
      const mediaId = head.Metadata?.[METADATA.mediaId];
      const sha256 = head.Metadata?.[METADATA.sha256];
      return {
        size: head.ContentLength ?? 0,
        ...(mediaId !== undefined ? { mediaId: decodeURIComponent(mediaId) } : {}),
        ...(sha256 !== undefined ? { sha256 } : {}),
        ...(isArchived(head) ? { archived: true } : {}),
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** The sha256 a multipart object carries as a tag (undefined when untagged or tags are unsupported). */
  private async taggedSha256(key: string): Promise<string | undefined> {
    try {
      const answer = await this.client.send(new GetObjectTaggingCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }));
      return answer.TagSet?.find((tag) => tag.Key === SHA256_TAG)?.Value;
    } catch (error) {
      if (isNotFound(error) || isUnsupported(error)) return undefined;
      throw error;
    }
  }

  /**
   * Reads up to one part of the body first. A body that ends within it is one PutObject whose
   * metadata carries the sha256, with the SHA-256 checksum checked by the server; a longer one
   * becomes a multipart upload and gets the sha256 as a tag once complete. When the key already
   * holds this item's object with the same sha256 (a manifest update was lost), nothing is uploaded.
   */
  async put(input: PutInput): Promise<StoredObject> {
    const { key, existing } = await this.chooseKey(input);
    this.claimed.add(key);
    try {
      const measured = meter(input);
      input.body.on('error', (error) => measured.stream.destroy(error));
      input.body.pipe(measured.stream);
      // A body announced as longer than a part goes straight into the multipart upload; otherwise
      // up to one part is read first to find out.
      const first = (input.expectedSize ?? 0) > this.pool.size ? { chunks: [], bytes: 0, ended: false } : await readAtMost(measured.stream, this.pool.size);
      if (first.ended) {
        const result = measured.result();
        if (existing?.sha256 === result.sha256 && existing.size === result.size) return { key, ...result, alreadyStored: true };
        await this.putSingle(key, input, Buffer.concat(first.chunks), result.sha256);
        return { key, ...result };
      }
      const rest = measured.stream;
      if (existing && existing.size === input.expectedSize && !this.differs.has(key)) {
        const sha256 = existing.sha256 ?? (await this.taggedSha256(key));
        if (sha256 !== undefined) {
          for await (const chunk of rest as AsyncIterable<Buffer>) void chunk; // hashed by the meter
          const result = measured.result();
          if (result.sha256 === sha256) return { key, ...result, alreadyStored: true };
          // The bytes went by unstored: the retried attempt uploads them.
          this.differs.add(key);
          throw new Error(`s3://${this.options.bucket}/${this.objectKey(key)} holds other bytes for this item; the next attempt uploads them`);
        }
      }
      await this.putMultipart(key, input, first.chunks, rest);
      const result = measured.result();
      await this.tagSha256(key, result.sha256);
      return { key, ...result };
    } catch (error) {
      input.body.destroy();
      throw error;
    } finally {
      this.claimed.delete(key);
    }
  }

  private commonParams(key: string, input: PutInput, sha256?: string) {
    return {
      Bucket: this.options.bucket,
      Key: this.objectKey(key),
      ContentType: input.mimeType,
      Metadata: {
        [METADATA.mediaId]: encodeMetadataValue(input.mediaId),
        [METADATA.creationTime]: input.mtime.toISOString(),
        [METADATA.filename]: encodeMetadataValue(input.originalFilename),
        ...(sha256 !== undefined ? { [METADATA.sha256]: sha256 } : {}),
      },
      ...(this.options.storageClass ? { StorageClass: this.options.storageClass } : {}),
      ...(this.options.serverSideEncryption ? { ServerSideEncryption: this.options.serverSideEncryption } : {}),
      ...(this.options.kmsKeyId ? { SSEKMSKeyId: this.options.kmsKeyId } : {}),
    };
  }

  private async putSingle(key: string, input: PutInput, body: Buffer, sha256: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        ...this.commonParams(key, input, sha256),
        Body: body,
        ContentLength: body.length,
        ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
      }),
      input.signal ? { abortSignal: input.signal } : {},
    );
  }

  private async putMultipart(key: string, input: PutInput, head: readonly Buffer[], rest: Readable): Promise<void> {
    // A part size that fits the announced length into S3's 10,000 parts (rounded up to a MiB).
    const needed = Math.ceil((input.expectedSize ?? 0) / MAX_PARTS / MiB) * MiB;
    const pool = needed > this.pool.size ? new BufferPool(needed, 0) : this.pool;
    const body = (async function* () {
      yield* head;
      yield* rest as AsyncIterable<Buffer>;
    })();
    await uploadMultipart(body, {
      client: this.client,
      params: this.commonParams(key, input),
      pool,
      queueSize: this.queueSize,
      ...(input.signal ? { signal: input.signal } : {}),
    });
  }

  /** Tags a multipart object with its sha256; servers without tagging keep it in the manifest only. */
  private async tagSha256(key: string, sha256: string): Promise<void> {
    try {
      await this.client.send(
        new PutObjectTaggingCommand({ Bucket: this.options.bucket, Key: this.objectKey(key), Tagging: { TagSet: [{ Key: SHA256_TAG, Value: sha256 }] } }),
      );
    } catch (error) {
      if (!isUnsupported(error)) throw error;
      if (!this.warnedNoTagging) console.warn(`${this.location}: the server does not support object tags; sha256 of large objects is kept in the manifest only`);
      this.warnedNoTagging = true;
    }
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    const head = await this.head(key);
    return head ? { size: head.size } : undefined;
  }

  read(key: string): Readable {
    const out = new PassThrough();
    this.client
      .send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }))
      .then((answer) => {
        const body = answer.Body as Readable | undefined;
        if (!body) throw new Error(`empty body for ${key}`);
        body.on('error', (error) => out.destroy(error));
        body.pipe(out);
      })
      .catch((error: unknown) => out.destroy(error as Error));
    return out;
  }

  async writeText(key: string, text: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key), Body: text, ContentType: 'application/json', ChecksumAlgorithm: 'CRC32' }),
    );
  }

  /** Objects appear atomically on completion: nothing to make durable. */
  async flush(): Promise<void> {
    // nothing to do
  }

  /** Aborts incomplete multipart uploads under the prefix (leftovers of killed workers). */
  async sweep(): Promise<number> {
    let removed = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.options.bucket,
          ...(this.options.prefix ? { Prefix: `${this.options.prefix}/` } : {}),
          ...(keyMarker ? { KeyMarker: keyMarker } : {}),
          ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
        }),
      );
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId || [...this.claimed].some((key) => this.objectKey(key) === upload.Key)) continue;
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.options.bucket, Key: upload.Key, UploadId: upload.UploadId }));
        removed += 1;
      }
      if (!page.IsTruncated) return removed;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }
}
