// Reads the start of a stream without consuming the rest: enough to decide between one request
// and a multipart upload. The stream stays usable (paused) for whoever reads on.
import type { Readable } from 'node:stream';

export interface StreamStart {
  /** The chunks read, in order (their total may exceed the limit by less than one chunk). */
  readonly chunks: Buffer[];
  readonly bytes: number;
  /** True when the stream ended within the limit: the chunks are all of it. */
  readonly ended: boolean;
}

/**
 * A whole small stream as text, or undefined (and the stream destroyed) when it holds more than
 * `limit` bytes.
 */
export async function readTextAtMost(stream: Readable, limit: number): Promise<string | undefined> {
  const start = await readAtMost(stream, limit + 1);
  if (start.bytes > limit) {
    stream.destroy();
    return undefined;
  }
  return Buffer.concat(start.chunks).toString('utf8');
}

/** Reads chunks until at least `limit` bytes or the end; rejects with the stream's error. */
export async function readAtMost(stream: Readable, limit: number): Promise<StreamStart> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  while (bytes < limit) {
    if (stream.errored) throw stream.errored;
    const chunk = stream.read() as Buffer | null;
    if (chunk !== null) {
      chunks.push(chunk);
      bytes += chunk.length;
      continue;
    }
    if (stream.readableEnded) return { chunks, bytes, ended: true };
    await new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        stream.off('readable', onReady);
        stream.off('end', onReady);
        stream.off('error', settle);
        stream.off('close', onReady);
        if (error) reject(error);
        else resolve();
      };
      const onReady = () => settle();
      stream.once('readable', onReady);
      stream.once('end', onReady);
      stream.once('close', onReady);
      stream.once('error', settle);
    });
    if (stream.destroyed && !stream.readableEnded) {
      throw stream.errored ?? new Error('stream closed before its end');
    }
  }
  return { chunks, bytes, ended: false };
}
