// JSON-lines files read a bounded piece at a time: a manifest of a million records is never one
// Buffer or one string. A line torn by a crash, or one another tool wrote, is skipped.
import { open, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** How much of a file one read takes (whole lines of it are parsed, a partial tail waits). */
export const CHUNK_BYTES = 4 * 1024 * 1024;

/** Parses one line; undefined for a blank, torn or foreign one. */
export function parseLine<T>(line: string, accept: (value: unknown) => value is T): T | undefined {
  if (line.trim() === '') return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return accept(value) ? value : undefined;
  } catch {
    return undefined; // a line torn by a crash
  }
}

/** Calls `use` with each line of `text` that `accept` takes. */
export function eachJsonLine<T>(text: string, accept: (value: unknown) => value is T, use: (value: T) => void): void {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const value = parseLine(text.slice(start, end), accept);
    if (value !== undefined) use(value);
    start = end + 1;
  }
}

/**
 * Calls `use` with each line of a stream (an S3 object's body) that `accept` takes, one line in
 * memory at a time, until `use` answers 'stop'; the stream is destroyed then.
 */
export async function eachStreamedLine<T>(body: Readable, accept: (value: unknown) => value is T, use: (value: T) => 'stop' | void): Promise<void> {
  try {
    for await (const line of createInterface({ input: body, crlfDelay: Infinity })) {
      const value = parseLine(line, accept);
      if (value !== undefined && use(value) === 'stop') return;
    }
  } finally {
    body.destroy();
  }
}

/** Whole lines of a file from an offset: their text, and the offset just past the last of them. */
export interface LinesRead {
  readonly text: string;
  readonly next: number;
  /** The file's size when read: more may follow when next < size. */
  readonly size: number;
}

/** Reads at most CHUNK_BYTES of whole lines from `from` (a line longer than that is read whole). */
export async function readLines(handle: FileHandle, from: number, size: number): Promise<LinesRead> {
  let want = Math.min(CHUNK_BYTES, size - from);
  for (;;) {
    if (want <= 0) return { text: '', next: from, size };
    const buffer = Buffer.allocUnsafe(want);
    const { bytesRead } = await handle.read(buffer, 0, want, from);
    const complete = buffer.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
    if (complete > 0) return { text: buffer.toString('utf8', 0, complete), next: from + complete, size };
    if (from + bytesRead >= size) return { text: '', next: from, size }; // a partial last line waits
    want = Math.min(want * 2, size - from);
  }
}

/** Opens a file to read, or undefined when there is none. */
export async function openIfExists(file: string): Promise<FileHandle | undefined> {
  try {
    return await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
