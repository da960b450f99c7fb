// An S3 (or S3-compatible) bucket as a Sink. A body of up to one part goes in one PutObject
// (SHA-256 checked by the server); a longer one streams from the download straight into a
// multipart upload (multipart.ts: fixed part buffers, bounded parallelism, CRC32 per part), which
// becomes visible only when complete: a failed, truncated or cancelled upload is aborted and
// leaves no object and no parts behind. Object metadata names the media item (and a sidecar the
// item it describes); every write is conditional (s3-exclusive.ts), so a key holding another
// item's object, or a sidecar, is never overwritten, whoever else writes at the same time.
import { PassThrough, Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
  type ServerSideEncryption,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { DestinationError } from './errors.js';
import { isSafeKey } from './layout.js';
import { meter, type Meter } from './meter.js';
import { BufferPool, MAX_PARTS, MIN_PART_SIZE, uploadMultipart } from './multipart.js';
import { readAtMost } from './read-at-most.js';
import { isSmallBody, readWholeBody } from './whole-body.js';
import {
  conditionFor,
  conditionsHonoured,
  isConditionLost,
  isNotFound,
  isUnsupported,
  KeyContended,
  openUploads,
  othersHold,
  release,
  reserve,
  type Condition,
  type WriteMode,
} from './s3-exclusive.js';
import type { KeyOwnership, ObjectInfo, PutInput, Sink, StoredObject } from './sink.js';
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
  /**
   * The server checks If-None-Match and If-Match atomically with the write, as AWS S3 does. When
   * false (the default, for S3-compatible servers), every write first reserves its key.
   */
  readonly atomicConditionalWrites?: boolean;
}

/** Object metadata keys (sent as x-amz-meta-*). */
export const METADATA = {
  mediaId: 'gphotos-media-id',
  creationTime: 'gphotos-creation-time',
  filename: 'gphotos-filename',
  /** Hex sha256 of the original bytes; on objects sent in one request (metadata is fixed when an upload begins). */
  sha256: 'gphotos-sha256',
  /** On a sidecar: the media id of the item it describes. */
  sidecarOf: 'gphotos-sidecar-of',
} as const;

/** Object tag with the hex sha256 of a multipart object, set once its upload has completed. */
export const SHA256_TAG = 'gphotos-sha256';

/** Where the sink finds out once how far the server honours conditional writes (see s3-exclusive.ts). */
export const PROBE_KEY = '.gphotos-backup/conditional-writes-probe';

const MiB = 1024 * 1024;
const DEFAULT_PART_SIZE = 8 * MiB;
const DEFAULT_QUEUE_SIZE = 4;
/** Times a key is looked at again after a write found it changed, before the next candidate is tried. */
const LOOKS = 3;

/** What a HEAD request tells about an object already at a key. */
interface ExistingObject extends ObjectInfo {
  readonly etag?: string;
  readonly sidecarOf?: string;
  readonly sha256?: string;
}

/** HTTP headers carry Latin-1 only: anything else is percent-encoded (and so is '%'). */
export function encodeMetadataValue(value: string): string {
  return /^[\x20-\x24\x26-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

function decodedMetadata(metadata: Record<string, string> | undefined, name: string): string | undefined {
  const value = metadata?.[name];
  return value === undefined ? undefined : decodeURIComponent(value);
}

/**
 * Whether a put may write over what lies at a key: nothing there; this item's own object (its media
 * id, or no item's id and the manifest's word); anything else, sidecars included, is left alone.
 */
function mayReplace(existing: ExistingObject | undefined, mediaId: string, owner: KeyOwnership): boolean {
  if (!existing) return true;
  if (existing.sidecarOf !== undefined) return false;
  if (existing.mediaId !== undefined) return existing.mediaId === mediaId;
  return owner === 'this-item';
}

/** The first chunks already read, then the rest of the stream; iterated at most once. */
async function* concatenated(head: readonly Buffer[], rest: Readable): AsyncGenerator<Buffer> {
  yield* head;
  yield* rest as AsyncIterable<Buffer>;
}

export class S3Sink implements Sink {
  readonly cheapStat = false;
  readonly carriesMediaId = true;
  private readonly client: S3Client;
  /** Keys being written by this process: two puts here never try one key at once. */
  private readonly claimed = new Set<string>();
  /** Keys found holding other bytes for their item in this process: the next attempt uploads at once. */
  private readonly differs = new Set<string>();
  private warnedNoTagging = false;
  private mode: Promise<WriteMode> | undefined;
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
    if (!isSafeKey(key)) throw new DestinationError('unsafe-key', `${this.location}: refusing unsafe destination key ${JSON.stringify(key)}`);
    return this.options.prefix ? `${this.options.prefix}/${key}` : key;
  }

  /** How writes are kept exclusive on this server, found out once (again after a failed probe). */
  private writeMode(): Promise<WriteMode> {
    this.mode ??= conditionsHonoured(this.client, this.baseParams(PROBE_KEY)).then((honoured) => {
      if (honoured) return this.options.atomicConditionalWrites ? 'conditional' : 'reserved';
      console.warn(`${this.location}: the server does not honour conditional writes; every object is stored under its item's own name (~ and the full hash of its id)`);
      return 'unique';
    });
    void this.mode.catch(() => (this.mode = undefined));
    return this.mode;
  }

  /** The candidates this put may use: all of them, or only the item's own name where conditions do not hold. */
  private keysFor(input: PutInput, mode: WriteMode): readonly string[] {
    return mode === 'unique' ? input.candidates.slice(-1) : input.candidates;
  }

  /** Claims a key for one write, synchronously (before any await), unless taken here or the manifest gives it to another item. */
  private claim(key: string, input?: PutInput): boolean {
    if (this.claimed.has(key) || input?.ownerOf(key) === 'another-item') return false;
    this.claimed.add(key);
    return true;
  }

  private noFreeName(input: PutInput): Error {
    return new Error(`no free name for ${input.originalFilename} among ${input.candidates.join(', ')}`);
  }

  /** One HEAD request: size, media id and sha256 from the metadata, and whether the bytes are archived. */
  async head(key: string): Promise<ExistingObject | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }));
      return {
        size: head.ContentLength ?? 0,
        etag: head.ETag,
        mediaId: decodedMetadata(head.Metadata, METADATA.mediaId),
        sidecarOf: decodedMetadata(head.Metadata, METADATA.sidecarOf),
        sha256: head.Metadata?.[METADATA.sha256],
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
    try {
      // A body announced as small is read whole: no meter stream in between.
      if (isSmallBody(input, this.pool.size)) {
        const { data, size, sha256 } = await readWholeBody(input);
        return await this.storeSmall(input, data, { size, sha256 });
      }
      const measured = meter(input);
      input.body.on('error', (error) => measured.stream.destroy(error));
      input.body.pipe(measured.stream);
      // A body announced as longer than a part goes straight into the multipart upload; otherwise
      // up to one part is read first to find out.
      const first = (input.expectedSize ?? 0) > this.pool.size ? { chunks: [], bytes: 0, ended: false } : await readAtMost(measured.stream, this.pool.size);
      if (first.ended) return await this.storeSmall(input, Buffer.concat(first.chunks), measured.result());
      return await this.storeLarge(input, first.chunks, measured);
    } catch (error) {
      input.body.destroy();
      throw error;
    }
  }

  /** Stores a body held in memory under the first candidate that is free or this item's own. */
  private async storeSmall(input: PutInput, body: Buffer, result: { size: number; sha256: string }): Promise<StoredObject> {
    const mode = await this.writeMode();
    for (const key of this.keysFor(input, mode)) {
      if (!this.claim(key, input)) continue;
      try {
        for (let look = 0; look < LOOKS; look++) {
          const existing = await this.head(key);
          if (!mayReplace(existing, input.mediaId, input.ownerOf(key))) break;
          if (!input.repair && existing?.sha256 === result.sha256 && existing.size === result.size) return { key, ...result, alreadyStored: true };
          const params = { ...this.commonParams(key, input, result.sha256), Body: body, ContentLength: body.length, ChecksumSHA256: Buffer.from(result.sha256, 'hex').toString('base64') };
          const outcome = await this.exclusively(mode, key, () => this.client.send(new PutObjectCommand({ ...params, ...conditionFor(mode, existing) }), this.sendOptions(input)));
          if (outcome === 'written') return { key, ...result };
          if (outcome === 'contended') break;
        }
      } finally {
        this.claimed.delete(key);
      }
    }
    throw this.noFreeName(input);
  }

  /**
   * Runs one write under the write mode: after reserving the key where the server needs it.
   * 'lost' means the condition failed (the key changed since it was looked at): nothing was written.
   */
  private async exclusively(mode: WriteMode, key: string, write: () => Promise<unknown>): Promise<'written' | 'contended' | 'lost'> {
    const reservation = mode === 'reserved' ? await reserve(this.client, this.baseParams(key)) : undefined;
    if (mode === 'reserved' && reservation === undefined) return 'contended';
    try {
      await write();
      return 'written';
    } catch (error) {
      if (isConditionLost(error)) return 'lost';
      throw error;
    } finally {
      if (reservation !== undefined) await release(this.client, this.options.bucket, this.objectKey(key), reservation);
    }
  }

  /**
   * Streams a body longer than one part into a multipart upload under the first candidate that is
   * free or this item's own. The upload itself reserves the key; a key found contended before the
   * first byte is sent is given up for the next candidate with the body untouched. A completion
   * refused because the key changed meanwhile fails the put: the next attempt downloads again.
   */
  private async storeLarge(input: PutInput, first: readonly Buffer[], measured: Meter): Promise<StoredObject> {
    const mode = await this.writeMode();
    const body = concatenated(first, measured.stream);
    for (const key of this.keysFor(input, mode)) {
      if (!this.claim(key, input)) continue;
      try {
        const existing = await this.head(key);
        if (!mayReplace(existing, input.mediaId, input.ownerOf(key))) continue;
        if (!input.repair && existing && existing.size === input.expectedSize && !this.differs.has(key)) {
          const same = await this.sameLargeObject(key, existing, measured);
          if (same) return same;
        }
        if (!(await this.sendLarge(key, input, body, mode, existing))) continue;
        const result = measured.result();
        await this.tagSha256(key, result.sha256);
        return { key, ...result };
      } finally {
        this.claimed.delete(key);
      }
    }
    throw this.noFreeName(input);
  }

  /**
   * Hashes the whole body against this item's object already at the key: the same sha256 means
   * stored already; other bytes fail this attempt (the next one uploads them). Undefined, with the
   * body untouched, when the object's sha256 is unknown.
   */
  private async sameLargeObject(key: string, existing: ExistingObject, measured: Meter): Promise<StoredObject | undefined> {
    const sha256 = existing.sha256 ?? (await this.taggedSha256(key));
    if (sha256 === undefined) return undefined;
    for await (const chunk of measured.stream as AsyncIterable<Buffer>) void chunk; // hashed by the meter
    const result = measured.result();
    if (result.sha256 === sha256) return { key, ...result, alreadyStored: true };
    // The bytes went by unstored: the retried attempt uploads them.
    this.differs.add(key);
    throw new Error(`${this.location}/${key} holds other bytes for this item; the next attempt uploads them`);
  }

  /** One multipart upload to `key`; false when the key was found contended before any byte was sent. */
  private async sendLarge(key: string, input: PutInput, body: AsyncIterable<Buffer>, mode: WriteMode, existing: ExistingObject | undefined): Promise<boolean> {
    // A part size that fits the announced length into S3's 10,000 parts (rounded up to a MiB).
    const needed = Math.ceil((input.expectedSize ?? 0) / MAX_PARTS / MiB) * MiB;
    try {
      await uploadMultipart(body, {
        client: this.client,
        params: this.commonParams(key, input),
        pool: needed > this.pool.size ? new BufferPool(needed, 0) : this.pool,
        queueSize: this.queueSize,
        condition: conditionFor(mode, existing),
        ...(mode === 'reserved' ? { onCreated: (uploadId: string) => this.assertAlone(key, uploadId, existing) } : {}),
        ...(input.signal ? { signal: input.signal } : {}),
      });
      return true;
    } catch (error) {
      if (error instanceof KeyContended) return false;
      if (isConditionLost(error)) throw new Error(`${this.location}/${key} changed while its upload ran; the next attempt stores the item again`, { cause: error });
      throw error;
    }
  }

  /**
   * With the upload open (it reserves the key): no other upload for the key, and the key still
   * holds what was seen, so the body is not sent for a completion that would be refused.
   */
  private async assertAlone(key: string, uploadId: string, existing: ExistingObject | undefined): Promise<void> {
    if (await othersHold(this.client, this.options.bucket, this.objectKey(key), uploadId)) throw new KeyContended(key);
    if ((await this.head(key))?.etag !== existing?.etag) throw new KeyContended(key);
  }

  private sendOptions(input: PutInput): { abortSignal?: AbortSignal } {
    return input.signal ? { abortSignal: input.signal } : {};
  }

  /** Bucket, key, storage class and encryption: what every write of an object states. */
  private baseParams(key: string) {
    return {
      Bucket: this.options.bucket,
      Key: this.objectKey(key),
      ...(this.options.storageClass ? { StorageClass: this.options.storageClass } : {}),
      ...(this.options.serverSideEncryption ? { ServerSideEncryption: this.options.serverSideEncryption } : {}),
      ...(this.options.kmsKeyId ? { SSEKMSKeyId: this.options.kmsKeyId } : {}),
    };
  }

  private commonParams(key: string, input: PutInput, sha256?: string) {
    return {
      ...this.baseParams(key),
      ContentType: input.mimeType,
      Metadata: {
        [METADATA.mediaId]: encodeMetadataValue(input.mediaId),
        [METADATA.creationTime]: input.mtime.toISOString(),
        [METADATA.filename]: encodeMetadataValue(input.originalFilename),
        ...(sha256 !== undefined ? { [METADATA.sha256]: sha256 } : {}),
      },
    };
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

  async remove(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }));
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

  /**
   * Writes a small JSON object. With `owner` (a sidecar's media id) it is written only where the
   * key is free or holds that item's sidecar, under the same conditions as put: never over a media
   * object (a photo may be named `a.jpg.json`) nor another item's sidecar. A key taken by another
   * object leaves the sidecar unwritten, with a warning; the item's own object is unaffected.
   */
  async writeText(key: string, text: string, owner?: string): Promise<void> {
    const params = { ...this.baseParams(key), Body: text, ContentType: 'application/json', ChecksumAlgorithm: 'CRC32' as const };
    if (owner === undefined) return void (await this.client.send(new PutObjectCommand(params)));
    const mode = await this.writeMode();
    if (!this.claim(key)) return this.leaveSidecar(key, 'another object is being written there');
    try {
      // Where conditions hold, the write itself finds out whether the key is free; a look follows only when it is not.
      let existing = mode === 'unique' ? await this.head(key) : undefined;
      for (let look = 0; look < LOOKS; look++) {
        if (existing && existing.sidecarOf !== owner) return this.leaveSidecar(key, 'another item\'s object is there');
        const condition: Condition = conditionFor(mode, existing);
        const write = () => this.client.send(new PutObjectCommand({ ...params, Metadata: { [METADATA.sidecarOf]: encodeMetadataValue(owner) }, ...condition }));
        if ((await this.exclusively(mode, key, write)) === 'written') return;
        existing = await this.head(key);
      }
    } finally {
      this.claimed.delete(key);
    }
    throw new Error(`${this.location}/${key} kept changing while its sidecar was written; the next attempt writes it again`);
  }

  private leaveSidecar(key: string, why: string): void {
    console.warn(`${this.location}/${key}: sidecar not written, ${why}`);
  }

  /** Objects appear atomically on completion: nothing to make durable. */
  async flush(): Promise<void> {
    // nothing to do
  }

  /** Aborts incomplete multipart uploads under the prefix (leftovers of killed workers, and reservations they held). */
  async sweep(): Promise<number> {
    let removed = 0;
    for await (const upload of openUploads(this.client, this.options.bucket, this.options.prefix ? `${this.options.prefix}/` : '')) {
      if (!upload.Key || !upload.UploadId || [...this.claimed].some((key) => this.objectKey(key) === upload.Key)) continue;
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.options.bucket, Key: upload.Key, UploadId: upload.UploadId }));
      removed += 1;
    }
    return removed;
  }
}
