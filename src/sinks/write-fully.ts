// write(2) may write fewer bytes than asked (a full disk, a signal, some network filesystems):
// keep writing the rest, and treat a write of nothing as the error it is.
import type { FileHandle } from 'node:fs/promises';
import { DestinationError } from './errors.js';

export async function writeFully(handle: FileHandle, data: Buffer, position?: number): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const at = position === undefined ? null : position + offset;
    const { bytesWritten } = await handle.write(data, offset, data.length - offset, at);
    if (bytesWritten <= 0) throw new DestinationError('io', `the filesystem accepted no bytes (${data.length - offset} left to write); check the disk`);
    offset += bytesWritten;
  }
}
