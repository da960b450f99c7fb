// Where an S3 manifest's objects live and how they are named and listed.
import { randomBytes } from 'node:crypto';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { MANIFEST_DIR } from './entries.js';

export type SegmentKind = 'manifest' | 'failures' | 'repair' | 'snapshot';

/** Where an S3 manifest lives. */
export interface S3Place {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
}

export function dirOf(place: S3Place, kind: SegmentKind): string {
  return `${place.prefix ? `${place.prefix}/` : ''}${MANIFEST_DIR}/${kind}/`;
}

/** Every key under a kind's folder, in name order (names start with their time). */
export async function listKeys(place: S3Place, kind: SegmentKind): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await place.client.send(new ListObjectsV2Command({ Bucket: place.bucket, Prefix: dirOf(place, kind), ...(token ? { ContinuationToken: token } : {}) }));
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

/** A new object name under a kind's folder: its time first, so that name order is time order. */
export function segmentName(place: S3Place, kind: SegmentKind, suffix = '.jsonl'): string {
  return `${dirOf(place, kind)}${new Date().toISOString().replace(/[-:.]/g, '')}-${randomBytes(6).toString('hex')}${suffix}`;
}

