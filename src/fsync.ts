// Durability on local filesystems: fsync of a file, or of a directory after a rename into it.
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
