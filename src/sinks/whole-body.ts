// Bodies announced as small (most photos) are read whole, hashed in one go and then written or
// sent in one piece. A stream pipeline per item costs more CPU than its few kilobytes do (its
// Transform and Writable, their callbacks and promises, the AbortController it makes and aborts
// at the end); here there is one read loop and one hash. The guarantees are the meter's: the
// sha256 and size are of exactly the bytes stored, and a length other than the announced one fails
// the put as truncated before anything is published.
import { createHash } from 'node:crypto';
import { addAbortSignal } from 'node:stream';
import { GooglePhotosError } from '../google/errors.js';
import { lengthMismatch } from './meter.js';
import { readAtMost } from './read-at-most.js';
import type { PutInput } from './sink.js';

/** Bodies announced (Content-Length) at most this long are read whole into memory. */
export const SMALL_BODY_BYTES = 1024 * 1024;

export interface WholeBody {
  readonly data: Buffer;
  readonly size: number;
  readonly sha256: string;
}

type BodyInput = Pick<PutInput, 'body' | 'expectedSize' | 'onProgress' | 'originalFilename' | 'signal'>;

/** Whether a put should read this body whole: its length is announced, and small. */
export function isSmallBody(input: Pick<PutInput, 'expectedSize'>, limit = SMALL_BODY_BYTES): boolean {
  return input.expectedSize !== undefined && input.expectedSize <= limit;
}

/** Reads a body announced as small whole; rejects with the body's error, or as truncated. */
export async function readWholeBody(input: BodyInput): Promise<WholeBody> {
  const expected = input.expectedSize ?? 0;
  // Cancelling the put destroys the body, as the pipeline's signal does for a streamed one.
  if (input.signal) addAbortSignal(input.signal, input.body);
  // One byte past the announced length is enough to tell a body that runs long.
  const read = await readAtMost(input.body, expected + 1);
  if (!read.ended) {
    input.body.destroy();
    throw new GooglePhotosError('truncated', `download of ${input.originalFilename} is longer than the ${expected} bytes announced`);
  }
  const mismatch = lengthMismatch(input, read.bytes);
  if (mismatch) throw mismatch;
  const hash = createHash('sha256');
  for (const chunk of read.chunks) hash.update(chunk);
  input.onProgress?.(read.bytes);
  const data = read.chunks.length === 1 && read.chunks[0] ? read.chunks[0] : Buffer.concat(read.chunks, read.bytes);
  return { data, size: read.bytes, sha256: hash.digest('hex') };
}
