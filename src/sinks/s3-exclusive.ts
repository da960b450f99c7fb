// One key, one item: how the S3 sink keeps two writers (two batches, two workers) from storing
// different items under one name, where S3 offers no rename-without-replace as a disk does.
//
// Every write states what it expects to find: `If-None-Match: *` for a new object, `If-Match:
// <etag>` to replace this item's own object (on PutObject and CompleteMultipartUpload). A write
// whose condition failed (412, or 409 for concurrent conditional writes on AWS) stored nothing
// and the sink looks at the key again. Servers differ in how far the conditions hold:
//  - 'conditional': AWS S3 checks them atomically with the write; nothing more is needed.
//  - 'reserved' (any other server): the conditions are honoured, but maybe not atomically.
//    versitygw v1.7.0 checks them first (posix backend, EvaluateObjectPutPreconditions), then
//    writes the body to a temp file, stores the metadata (apart from the data with --sidecar) and
//    renames the file into place over whatever arrived meanwhile: two writes that overlap both
//    succeed and the later one silently replaces the other, racing PUTs even leave the bytes of
//    one with the metadata and checksum of the other. So each write first reserves its key with
//    an empty multipart upload and goes ahead only when no other upload for that key is open. Of
//    two writers whose reservations overlap, at least one sees the other's and gives way; one that
//    sees none started after the other had released its reservation, that is after the other's
//    object was in place, which the condition of its own write then finds. (This relies on
//    ListMultipartUploads showing an upload once it is created, as versitygw's listing of its
//    upload directories does.) A reservation left by a killed worker keeps the key from others
//    until the sweep at the end of the backup aborts it.
//  - 'unique': the server ignores the conditions or answers 501. Every object then goes under its
//    item's own name (the candidate suffixed with the whole hash of the media id), which no other
//    item ever writes.
// Which one applies is found once per sink, with a probe object under `.gphotos-backup/`.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CreateMultipartUploadCommandInput,
  type MultipartUpload,
  type S3Client,
} from '@aws-sdk/client-s3';

export type WriteMode = 'conditional' | 'reserved' | 'unique';

/** The precondition of a write: none, no object yet, or exactly the object seen before. */
export type Condition = { readonly IfNoneMatch?: '*'; readonly IfMatch?: string };

/** Thrown when another writer holds a reservation for the key: nothing was read from the body. */
export class KeyContended extends Error {
  constructor(key: string) {
    super(`another writer is storing ${key}`);
    this.name = 'KeyContended';
  }
}

interface S3ErrorShape {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

function status(error: unknown): number | undefined {
  return (error as S3ErrorShape | null)?.$metadata?.httpStatusCode;
}

export function isNotFound(error: unknown): boolean {
  const e = error as S3ErrorShape;
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || status(error) === 404;
}

export function isUnsupported(error: unknown): boolean {
  return (error as S3ErrorShape).name === 'NotImplemented' || status(error) === 501;
}

/** 412, or AWS's 409 for a conditional write that raced another one. */
export function isPreconditionFailed(error: unknown): boolean {
  const e = error as S3ErrorShape;
  return status(error) === 412 || e.name === 'PreconditionFailed' || e.name === 'ConditionalRequestConflict';
}

/**
 * The write stored nothing because the key no longer holds what was seen: a failed condition, or
 * (for If-Match) no object at all. Not any 404: a missing bucket must still fail the backup.
 */
export function isConditionLost(error: unknown): boolean {
  return isPreconditionFailed(error) || (error as S3ErrorShape).name === 'NoSuchKey';
}

/** The condition for writing over `existing` (absent: the key must still be free). */
export function conditionFor(mode: WriteMode, existing: { readonly etag?: string } | undefined): Condition {
  if (mode === 'unique') return {};
  return existing ? { IfMatch: existing.etag ?? '*' } : { IfNoneMatch: '*' };
}

/** True when the server refused a write whose condition cannot hold; false when it wrote or answered 501. */
async function refused(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return false;
  } catch (error) {
    if (isPreconditionFailed(error)) return true;
    if (isUnsupported(error)) return false;
    throw error;
  }
}

/** A completion with `If-None-Match: *` over the existing probe object (aborted whatever happens). */
async function completeOver(client: S3Client, params: CreateMultipartUploadCommandInput): Promise<void> {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand(params));
  const upload = { Bucket: params.Bucket, Key: params.Key, UploadId };
  try {
    const part = await client.send(new UploadPartCommand({ ...upload, PartNumber: 1, Body: 'probe' }));
    await client.send(new CompleteMultipartUploadCommand({ ...upload, IfNoneMatch: '*', MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
  } finally {
    await client.send(new AbortMultipartUploadCommand(upload)).catch(() => undefined);
  }
}

/**
 * Whether the server honours If-None-Match on PutObject and CompleteMultipartUpload and If-Match
 * on PutObject, tried on `params.Key` (which is left in place, holding a few bytes).
 */
export async function conditionsHonoured(client: S3Client, params: CreateMultipartUploadCommandInput): Promise<boolean> {
  const put = (condition: Condition) => () => client.send(new PutObjectCommand({ ...params, Body: 'probe', ...condition }));
  // The first write creates the probe object unless it exists; the second must then be refused.
  if (!((await refused(put({ IfNoneMatch: '*' }))) || (await refused(put({ IfNoneMatch: '*' }))))) return false;
  if (!(await refused(put({ IfMatch: '"00000000000000000000000000000000"' })))) return false;
  return refused(() => completeOver(client, params));
}

/** The multipart uploads open under a prefix, page by page. */
export async function* openUploads(client: S3Client, bucket: string, prefix: string): AsyncGenerator<MultipartUpload> {
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await client.send(
      new ListMultipartUploadsCommand({
        Bucket: bucket,
        ...(prefix ? { Prefix: prefix } : {}),
        ...(keyMarker ? { KeyMarker: keyMarker } : {}),
        ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
      }),
    );
    yield* page.Uploads ?? [];
    if (!page.IsTruncated) return;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
}

/** Whether an upload other than `uploadId` is open for exactly `key`. */
export async function othersHold(client: S3Client, bucket: string, key: string, uploadId: string): Promise<boolean> {
  for await (const upload of openUploads(client, bucket, key)) if (upload.Key === key && upload.UploadId !== uploadId) return true;
  return false;
}

/** Drops a reservation; one that cannot be dropped now is aborted by the sweep at the end of the backup. */
export async function release(client: S3Client, bucket: string, key: string, uploadId: string): Promise<void> {
  await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
}

/** Reserves `params.Key` with an empty multipart upload; undefined when another writer holds it. */
export async function reserve(client: S3Client, params: CreateMultipartUploadCommandInput & { Bucket: string; Key: string }): Promise<string | undefined> {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand(params));
  if (!UploadId) throw new Error(`no UploadId for s3://${params.Bucket}/${params.Key}`);
  try {
    if (!(await othersHold(client, params.Bucket, params.Key, UploadId))) return UploadId;
  } catch (error) {
    await release(client, params.Bucket, params.Key, UploadId);
    throw error;
  }
  await release(client, params.Bucket, params.Key, UploadId);
  return undefined;
}
