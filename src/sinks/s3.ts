// An S3 (or S3-compatible) bucket as a Sink. Bytes stream from the download straight into a
// multipart upload (explicit part size, bounded parallelism, the SDK's CRC32 checksums), which
// becomes visible only when complete: a failed, truncated or cancelled upload is aborted and
// leaves no object and no parts behind. Object metadata names the media item, so a key already
// holding another item's object is never overwritten.
import { PassThrough, type Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  type S3Client,
  type ServerSideEncryption,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { isSafeKey } from './layout.js';
import { meter } from './meter.js';
import type { PutInput, Sink, StoredObject } from './sink.js';

export interface S3SinkOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Key prefix without leading or trailing slashes ('' for the bucket root). */
  readonly prefix: string;
  readonly storageClass?: StorageClass;
  readonly serverSideEncryption?: ServerSideEncryption;
  readonly kmsKeyId?: string;
  /** Multipart part size in bytes (default 8 MiB; S3's minimum is 5 MiB). */
  readonly partSize?: number;
  /** Parts uploaded in parallel per object (default 4). */
  readonly queueSize?: number;
}

/** Object metadata keys (sent as x-amz-meta-*). */
export const METADATA = {
  mediaId: 'gphotos-media-id',
  creationTime: 'gphotos-creation-time',
  filename: 'gphotos-filename',
} as const;

/** HTTP headers carry Latin-1 only: anything else is percent-encoded (and so is '%'). */
export function encodeMetadataValue(value: string): string {
  return /^[\x20-\x24\x26-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

export class S3Sink implements Sink {
  readonly cheapStat = false;
  private readonly client: S3Client;
  /** Keys being uploaded by this process: two items never race for one name. */
  private readonly claimed = new Set<string>();

  constructor(private readonly options: S3SinkOptions) {
    this.client = options.client;
  }

  get location(): string {
    return `s3://${this.options.bucket}${this.options.prefix ? `/${this.options.prefix}` : ''}`;
  }

  objectKey(key: string): string {
    if (!isSafeKey(key)) throw new Error(`refusing unsafe destination key ${JSON.stringify(key)}`);
    return this.options.prefix ? `${this.options.prefix}/${key}` : key;
  }

  private async chooseKey(input: PutInput): Promise<string> {
    for (const key of input.candidates) {
      if (this.claimed.has(key)) continue;
      const owner = input.ownerOf(key);
      if (owner === 'another-item') continue;
      if (owner === 'this-item') return key;
      const head = await this.head(key);
      if (!head || head.mediaId === input.mediaId) return key;
    }
    throw new Error(`no free name for ${input.originalFilename} among ${input.candidates.join(', ')}`);
  }

  private async head(key: string): Promise<{ size: number; mediaId?: string } | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }));
      const mediaId = head.Metadata?.[METADATA.mediaId];
      return { size: head.ContentLength ?? 0, ...(mediaId !== undefined ? { mediaId: decodeURIComponent(mediaId) } : {}) };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async put(input: PutInput): Promise<StoredObject> {
    const key = await this.chooseKey(input);
    this.claimed.add(key);
    try {
      const measured = meter(input);
      input.body.on('error', (error) => measured.stream.destroy(error));
      input.body.pipe(measured.stream);
      const upload = new Upload({
        client: this.client,
        partSize: this.options.partSize ?? 8 * 1024 * 1024,
        queueSize: this.options.queueSize ?? 4,
        leavePartsOnError: false,
        params: {
          Bucket: this.options.bucket,
          Key: this.objectKey(key),
          Body: measured.stream,
          ContentType: input.mimeType,
          ChecksumAlgorithm: 'CRC32',
          Metadata: {
            [METADATA.mediaId]: encodeMetadataValue(input.mediaId),
            [METADATA.creationTime]: input.mtime.toISOString(),
            [METADATA.filename]: encodeMetadataValue(input.originalFilename),
          },
          ...(this.options.storageClass ? { StorageClass: this.options.storageClass } : {}),
          ...(this.options.serverSideEncryption ? { ServerSideEncryption: this.options.serverSideEncryption } : {}),
          ...(this.options.kmsKeyId ? { SSEKMSKeyId: this.options.kmsKeyId } : {}),
        },
      });
      const abort = () => void upload.abort();
      input.signal?.addEventListener('abort', abort, { once: true });
      try {
        await upload.done();
      } finally {
        input.signal?.removeEventListener('abort', abort);
      }
      return { key, ...measured.result() };
    } finally {
      this.claimed.delete(key);
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
