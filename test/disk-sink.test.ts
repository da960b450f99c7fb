// The disk sink's two ways of writing a body: a small one (length announced, up to
// SMALL_BODY_BYTES) read whole and written in one call, a larger one streamed. Both store the
// exact bytes with their mtime and sha256, and a body shorter than announced, or a cancelled put,
// leaves nothing behind.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { GooglePhotosError } from '../src/google/errors.js';
import { DiskSink } from '../src/sinks/disk.js';
import type { PutInput } from '../src/sinks/sink.js';
import { SMALL_BODY_BYTES } from '../src/sinks/whole-body.js';
import { tempFilesUnder } from './harness/files.js';
import { tempDir } from './harness/tmp.js';

const MTIME = new Date('2021-07-14T09:30:00Z');

function bytes(size: number): Buffer {
  return Buffer.from(Array.from({ length: size }, (_, i) => (i * 31) % 251));
}

/** A body in chunks of at most 16 KiB, as a download delivers it. */
function bodyOf(data: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += 16 * 1024) chunks.push(data.subarray(at, at + 16 * 1024));
  return Readable.from(chunks, { objectMode: false });
}

function input(key: string, body: Readable, expectedSize: number | undefined, overrides: Partial<PutInput> = {}): PutInput {
  return {
    candidates: [key],
    body,
    ...(expectedSize !== undefined ? { expectedSize } : {}),
    mimeType: 'image/jpeg',
    mtime: MTIME,
    mediaId: 'id-1',
    originalFilename: 'a.jpg',
    ownerOf: () => 'unknown',
    ...overrides,
  };
}

describe('disk sink: small bodies whole, large ones streamed', () => {
  for (const [what, size, announced] of [
    ['a small body', 3000, true],
    ['an empty body', 0, true],
    ['a body just over the limit', SMALL_BODY_BYTES + 1, true],
    ['a body of unannounced length', 3000, false],
  ] as const) {
    it(`${what}: exact bytes, mtime and sha256`, async () => {
      const root = tempDir('disk-sink');
      const data = bytes(size);
      const stored = await new DiskSink(root).put(input('2021/07/a.jpg', bodyOf(data), announced ? size : undefined));
      const path = `${root}/2021/07/a.jpg`;
      assert.deepEqual(readFileSync(path), data);
      assert.equal(statSync(path).mtimeMs, MTIME.getTime());
      assert.deepEqual(stored, { key: '2021/07/a.jpg', size, sha256: createHash('sha256').update(data).digest('hex') });
      assert.deepEqual(tempFilesUnder(root), []);
    });
  }

  it('a small body shorter than announced fails as truncated and leaves nothing', async () => {
    const root = tempDir('disk-sink');
    const put = new DiskSink(root).put(input('2021/07/a.jpg', bodyOf(bytes(3000)), 4000));
    await assert.rejects(put, (error: unknown) => error instanceof GooglePhotosError && error.kind === 'truncated');
    assert.throws(() => statSync(`${root}/2021/07/a.jpg`));
    assert.deepEqual(tempFilesUnder(root), []);
  });

  it('a cancelled put of a small body rejects and leaves nothing', async () => {
    const root = tempDir('disk-sink');
    const controller = new AbortController();
    // A body that never ends: only the cancellation finishes the put.
    const body = new Readable({ read() {} });
    body.push(bytes(100));
    const put = new DiskSink(root).put(input('2021/07/a.jpg', body, 3000, { signal: controller.signal }));
    setTimeout(() => controller.abort(new Error('cancelled')), 50);
    await assert.rejects(put);
    assert.ok(body.destroyed, 'the download is let go');
    assert.throws(() => statSync(`${root}/2021/07/a.jpg`));
    assert.deepEqual(tempFilesUnder(root), []);
  });
});
