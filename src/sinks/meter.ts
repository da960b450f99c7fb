// The stream every sink puts between the download and the storage: it hashes (sha256), counts,
// reports progress, and fails at the end when the byte count differs from the announced length,
// so a truncated body never becomes a published file or object.
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { GooglePhotosError } from '../google/errors.js';
import type { PutInput } from './sink.js';

export interface Meter {
  readonly stream: Transform;
  /** Size and sha256 of what went through (valid once the stream has ended). */
  result(): { size: number; sha256: string };
}

/** The error for a body of `size` bytes when the server announced another length; undefined when they agree. */
export function lengthMismatch(input: Pick<PutInput, 'expectedSize' | 'originalFilename'>, size: number): GooglePhotosError | undefined {
  if (input.expectedSize === undefined || size === input.expectedSize) return undefined;
  return new GooglePhotosError('truncated', `download of ${input.originalFilename} ended after ${size} of ${input.expectedSize} bytes`);
}

export function meter(input: Pick<PutInput, 'expectedSize' | 'onProgress' | 'originalFilename'>): Meter {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      input.onProgress?.(size);
      callback(null, chunk);
    },
    flush(callback) {
      callback(lengthMismatch(input, size));
    },
  });
  let digest: string | undefined;
  return {
    stream,
    result: () => ({ size, sha256: (digest ??= hash.digest('hex')) }),
  };
}
