// A local folder as a Sink. Bytes stream into a hidden temp file in the target directory; once
// complete, verified and fsynced, the file gets its mtime and is published with link(2), which
// never overwrites (so two items racing for one name cannot clobber each other), then the temp
// name is removed and the directory fsynced. A cancelled or failed put leaves nothing behind.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, open, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GooglePhotosError } from '../google/errors.js';
import { isSafeKey } from './layout.js';
import type { PutInput, Sink, StoredObject } from './sink.js';

/** Temp files start with this; published names never start with a dot. */
export const TEMP_PREFIX = '.gphotos-tmp-';

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

export class DiskSink implements Sink {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  get location(): string {
    return this.root;
  }

  /** Absolute path of a key, refusing any key that could leave the destination. */
  pathOf(key: string): string {
    const path = resolve(this.root, ...key.split('/'));
    if (!isSafeKey(key) || !path.startsWith(this.root + sep)) throw new Error(`refusing unsafe destination key ${JSON.stringify(key)}`);
    return path;
  }

  async put(input: PutInput): Promise<StoredObject> {
    const first = input.candidates[0];
    if (first === undefined) throw new Error('put needs at least one candidate key');
    const dir = dirname(this.pathOf(first));
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    try {
      const { size, sha256 } = await this.receive(input, temp);
      await utimes(temp, input.mtime, input.mtime);
      const key = await this.publish(input, temp, size, sha256);
      return { key, size, sha256 };
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  /** Streams the body into the temp file while hashing and counting; fsyncs it. */
  private async receive(input: PutInput, temp: string): Promise<{ size: number; sha256: string }> {
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        size += chunk.length;
        input.onProgress?.(size);
        callback(null, chunk);
      },
    });
    const out = createWriteStream(temp, { flags: 'wx', mode: 0o644 });
    await pipeline(input.body, meter, out, ...(input.signal ? [{ signal: input.signal }] : []));
    if (input.expectedSize !== undefined && size !== input.expectedSize) {
      throw new GooglePhotosError('truncated', `download of ${input.originalFilename} ended after ${size} of ${input.expectedSize} bytes`);
    }
    await fsyncPath(temp);
    return { size, sha256: hash.digest('hex') };
  }

  /** Links the temp file under the first usable candidate key. */
  private async publish(input: PutInput, temp: string, size: number, sha256: string): Promise<string> {
    for (const key of input.candidates) {
      const path = this.pathOf(key);
      const owner = input.ownerOf(key);
      if (owner === 'another-item') continue;
      try {
        await link(temp, path);
        await fsyncPath(dirname(path));
        return key;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      // The name is taken. It is ours when the manifest says so, or when nobody claims it and it
      // holds exactly these bytes (a previous attempt stored it, then died before recording it).
      const existing = await stat(path);
      if (owner === 'this-item' || (existing.size === size && (await sha256File(path)) === sha256)) {
        if (owner === 'this-item') {
          await rename(temp, path);
          await fsyncPath(dirname(path));
        }
        await utimes(path, input.mtime, input.mtime);
        return key;
      }
    }
    throw new Error(`no free name for ${input.originalFilename} among ${input.candidates.join(', ')}`);
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    try {
      const s = await stat(this.pathOf(key));
      return s.isFile() ? { size: s.size } : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  read(key: string): Readable {
    return createReadStream(this.pathOf(key));
  }

  async writeText(key: string, text: string): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = join(dirname(path), `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    try {
      await writeFile(temp, text, { flag: 'wx', mode: 0o644 });
      await fsyncPath(temp);
      await rename(temp, path);
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }
}
