// Durability on local filesystems: fsync of a file (by path or descriptor), or of a directory after a rename into it.
import { fsync } from 'node:fs';
import { open } from 'node:fs/promises';

/** fsyncs a file or a directory (opened read-only, which Linux and macOS allow for both). */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsyncs an open file descriptor (in libuv's pool: it waits for the disk). */
export function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));
}
