// write(2) may write fewer bytes than asked (a full disk, a signal, some network filesystems):
// keep writing the rest, and treat a write of nothing as the error it is.
import { writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { DestinationError } from './errors.js';

function acceptedNothing(left: number): DestinationError {
  return new DestinationError('io', `the filesystem accepted no bytes (${left} left to write); check the disk`);
}

export async function writeFully(handle: FileHandle, data: Buffer, position?: number): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const at = position === undefined ? null : position + offset;
    const { bytesWritten } = await handle.write(data, offset, data.length - offset, at);
    if (bytesWritten <= 0) throw acceptedNothing(data.length - offset);
    offset += bytesWritten;
  }
}

/** The same on a file descriptor, synchronously (for a few kilobytes, where a trip through libuv's pool costs more than the write). */
export function writeFullySync(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) {
    const bytesWritten = writeSync(fd, data, offset, data.length - offset);
    if (bytesWritten <= 0) throw acceptedNothing(data.length - offset);
    offset += bytesWritten;
  }
}
