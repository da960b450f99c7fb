// The S3 sink against a real S3 server (versitygw): streamed multipart uploads with checksums,
// metadata, collision rules, and never a partial object or a leftover multipart upload.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { CreateMultipartUploadCommand, GetObjectTaggingCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { sha256Of } from '../src/cli/verify.js';
import { contentSpec, contentStream, contentSha256 } from '../src/emulator/content.js';
import { BufferPool, uploadMultipart } from '../src/sinks/multipart.js';
import { METADATA, S3Sink, SHA256_TAG } from '../src/sinks/s3.js';
import type { KeyOwnership, PutInput } from '../src/sinks/sink.js';
import { incompleteUploads, startS3Server, type S3TestServer } from './harness/s3.js';

const MiB = 1024 * 1024;

function input(overrides: Partial<PutInput> & { body: Readable; candidates: string[] }): PutInput {
  return {
    mimeType: 'image/jpeg',
    mtime: new Date('2021-07-14T09:30:00Z'),
    mediaId: 'AGj1-test_id',
    originalFilename: 'IMG_0001.JPG',
    ownerOf: (): KeyOwnership => 'unknown',
    ...overrides,
  };
}

describe('S3 sink on a real S3 server', () => {
  let server: S3TestServer;
  let client: S3Client;
  let sink: S3Sink;

  before(async () => {
    server = await startS3Server();
    client = server.client();
    sink = new S3Sink({ client, bucket: server.bucket, prefix: 'backups/me', partSize: 5 * MiB });
  });
  after(() => server?.stop());

  it('streams a multipart object whose bytes, size and sha256 match, with metadata and CRC32 checksums', async () => {
    const spec = contentSpec('s3-large', 12 * MiB + 123, 'video/mp4');
    const stored = await sink.put(input({ body: contentStream(spec), candidates: ['2021/07/clip.mp4'], expectedSize: spec.size, mimeType: 'video/mp4', originalFilename: '📸 clip.mp4' }));
    assert.equal(stored.key, '2021/07/clip.mp4');
    assert.equal(stored.size, spec.size);
    assert.equal(stored.sha256, await contentSha256(spec));
    const head = await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: 'backups/me/2021/07/clip.mp4', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ContentLength, spec.size);
    assert.equal(head.ContentType, 'video/mp4');
    assert.equal(head.Metadata?.[METADATA.mediaId], 'AGj1-test_id');
    assert.equal(decodeURIComponent(head.Metadata?.[METADATA.filename] ?? ''), '📸 clip.mp4');
    assert.ok(head.ChecksumCRC32, 'the object carries a CRC32 checksum');
    assert.equal(await sha256Of(sink, '2021/07/clip.mp4'), stored.sha256);
    assert.deepEqual(await sink.stat('2021/07/clip.mp4'), { size: spec.size });
    assert.equal(await sink.stat('2021/07/absent.mp4'), undefined);
  });

  it('a multipart object carries its sha256 as a tag; the same bytes again upload nothing, other bytes are uploaded on the next attempt', async () => {
    const key = '2021/08/tagged.mp4';
    const spec = contentSpec('s3-tagged', 11 * MiB + 7, 'video/mp4');
    const put = (seed: string) => {
      const body = contentSpec(seed, spec.size, 'video/mp4');
      return sink.put(input({ body: contentStream(body), candidates: [key], expectedSize: spec.size, mimeType: 'video/mp4', mediaId: 'video-1' }));
    };
    const first = await put('s3-tagged');
    assert.equal(first.alreadyStored, undefined);
    const tagged = async () => (await client.send(new GetObjectTaggingCommand({ Bucket: server.bucket, Key: `backups/me/${key}` }))).TagSet?.find((t) => t.Key === SHA256_TAG)?.Value;
    assert.equal(await tagged(), await contentSha256(spec));
    const modified = async () => (await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: `backups/me/${key}` }))).LastModified?.getTime();
    const before = await modified();
    await new Promise((r) => setTimeout(r, 1100)); // LastModified has one-second resolution

    const again = await put('s3-tagged');
    assert.equal(again.alreadyStored, true);
    assert.equal(again.sha256, first.sha256);
    assert.equal(await modified(), before, 'the object was not rewritten');

    await assert.rejects(put('s3-tagged-changed'), /holds other bytes/);
    const replaced = await put('s3-tagged-changed');
    assert.equal(replaced.alreadyStored, undefined);
    assert.equal(await tagged(), await contentSha256(contentSpec('s3-tagged-changed', spec.size, 'video/mp4')));
    assert.equal(await incompleteUploads(client, server.bucket), 0);
  });

  it('a small object is one PUT with its sha256 in metadata (checked by the server); the same bytes again upload nothing', async () => {
    const key = '2021/08/small.jpg';
    const spec = contentSpec('s3-small', 300 * 1024, 'image/jpeg');
    const first = await sink.put(input({ body: contentStream(spec), candidates: [key], expectedSize: spec.size, mediaId: 'photo-1' }));
    const head = await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: `backups/me/${key}`, ChecksumMode: 'ENABLED' }));
    assert.equal(head.Metadata?.[METADATA.sha256], await contentSha256(spec));
    assert.equal(head.ChecksumSHA256, Buffer.from(first.sha256, 'hex').toString('base64'), 'the server holds the SHA-256 of the bytes');
    await new Promise((r) => setTimeout(r, 1100));
    const again = await sink.put(input({ body: contentStream(spec), candidates: [key], expectedSize: spec.size, mediaId: 'photo-1' }));
    assert.equal(again.alreadyStored, true);
    const after = await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: `backups/me/${key}` }));
    assert.equal(after.LastModified?.getTime(), head.LastModified?.getTime(), 'the object was not rewritten');
  });

  it('a truncated body fails the put: no object and no incomplete multipart upload remain', async () => {
    const spec = contentSpec('s3-truncated', 11 * MiB, 'video/mp4');
    await assert.rejects(
      sink.put(input({ body: contentStream(spec, 0, 7 * MiB), candidates: ['2021/07/short.mp4'], expectedSize: spec.size })),
      /ended after/,
    );
    assert.equal(await sink.stat('2021/07/short.mp4'), undefined);
    assert.equal(await incompleteUploads(client, server.bucket), 0);
  });

  it('a download that breaks off mid-stream aborts the upload', async () => {
    const body = new Readable({ read() {} });
    const put = sink.put(input({ body, candidates: ['2021/07/broken.jpg'] }));
    body.push(Buffer.alloc(6 * MiB, 1));
    setTimeout(() => body.destroy(new Error('socket reset')), 200);
    await assert.rejects(put, /socket reset/);
    assert.equal(await sink.stat('2021/07/broken.jpg'), undefined);
    assert.equal(await incompleteUploads(client, server.bucket), 0);
  });

  it('a name holding another item gets the next candidate; the same item may replace its own', async () => {
    const a = contentSpec('a', 1000, 'image/jpeg');
    const b = contentSpec('b', 2000, 'image/jpeg');
    const first = await sink.put(input({ body: contentStream(a), candidates: ['2020/01/IMG.jpg', '2020/01/IMG~aaaaaa.jpg'], mediaId: 'item-a' }));
    const second = await sink.put(input({ body: contentStream(b), candidates: ['2020/01/IMG.jpg', '2020/01/IMG~bbbbbb.jpg'], mediaId: 'item-b' }));
    assert.equal(first.key, '2020/01/IMG.jpg');
    assert.equal(second.key, '2020/01/IMG~bbbbbb.jpg');
    const again = await sink.put(input({ body: contentStream(a), candidates: ['2020/01/IMG.jpg'], mediaId: 'item-a' }));
    assert.equal(again.key, '2020/01/IMG.jpg');
  });

  it('a multipart upload reuses its part buffers: queue size + 1 of them for any length', async () => {
    class CountingPool extends BufferPool {
      allocated = 0;
      override take(): Buffer {
        const buffer = super.take();
        if (!this.seen.has(buffer)) this.allocated += 1;
        this.seen.add(buffer);
        return buffer;
      }
      private readonly seen = new Set<Buffer>();
    }
    const pool = new CountingPool(5 * MiB, 3);
    const spec = contentSpec('s3-pooled', 41 * MiB + 5, 'video/mp4');
    await uploadMultipart(contentStream(spec) as AsyncIterable<Buffer>, { client, params: { Bucket: server.bucket, Key: 'backups/me/pooled.mp4' }, pool, queueSize: 2 });
    assert.ok(pool.allocated <= 3, `${pool.allocated} part buffers for 9 parts`);
    assert.equal(await sha256Of(sink, 'pooled.mp4'), await contentSha256(spec));
  });

  it('a cancelled put aborts its multipart upload and leaves no object', async () => {
    const controller = new AbortController();
    const spec = contentSpec('s3-cancelled', 30 * MiB, 'video/mp4');
    const put = sink.put(input({ body: contentStream(spec), candidates: ['2021/09/cancelled.mp4'], expectedSize: spec.size, signal: controller.signal, onProgress: (bytes) => bytes > 12 * MiB && controller.abort() }));
    await assert.rejects(put);
    assert.equal(await sink.stat('2021/09/cancelled.mp4'), undefined);
    assert.equal(await incompleteUploads(client, server.bucket), 0);
  });

  it('sweep aborts multipart uploads left by a killed worker', async () => {
    await client.send(new CreateMultipartUploadCommand({ Bucket: server.bucket, Key: 'backups/me/2019/01/left-behind.mp4' }));
    assert.equal(await incompleteUploads(client, server.bucket), 1);
    assert.equal(await sink.sweep(), 1);
    assert.equal(await incompleteUploads(client, server.bucket), 0);
  });
});
