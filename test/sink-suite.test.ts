// One suite that every sink passes, as every rclone backend passes fstests: what a caller of the
// Sink interface relies on, checked the same way on the disk sink and on the S3 sink (against a
// real S3 server): a put publishes exactly its bytes under the first free name, never over
// another item's object; sidecars; remove; nothing half-written is visible.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { sha256Of } from '../src/cli/verify.js';
import { DiskSink } from '../src/sinks/disk.js';
import { S3Sink } from '../src/sinks/s3.js';
import type { KeyOwnership, PutInput, Sink } from '../src/sinks/sink.js';
import { startS3Server, type S3TestServer } from './harness/s3.js';
import { tempDir } from './harness/tmp.js';

function input(key: string, data: Buffer, mediaId: string, ownerOf: (key: string) => KeyOwnership = () => 'unknown'): PutInput {
  return {
    candidates: [key, key.replace(/(\.\w+)$/, `~${mediaId}$1`)],
    body: Readable.from([data]),
    expectedSize: data.length,
    mimeType: 'image/jpeg',
    mtime: new Date('2021-07-14T09:30:00Z'),
    mediaId,
    originalFilename: key.split('/').pop() ?? key,
    ownerOf,
  };
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The cases, for one sink made fresh by `make`. */
function sinkSuite(name: string, make: () => Sink) {
  describe(`sink suite: ${name}`, () => {
    it('put publishes exactly the bytes, and a second item with the same name gets the next candidate', async () => {
      const sink = make();
      const [a, b] = [Buffer.from('first photo bytes'), Buffer.from('another photo, same name')];
      const first = await sink.put(input('2021/07/IMG_1.jpg', a, 'item-a'));
      assert.deepEqual({ key: first.key, size: first.size, sha256: first.sha256 }, { key: '2021/07/IMG_1.jpg', size: a.length, sha256: sha256(a) });
      const second = await sink.put(input('2021/07/IMG_1.jpg', b, 'item-b', (key) => (key === '2021/07/IMG_1.jpg' ? 'another-item' : 'unknown')));
      assert.equal(second.key, '2021/07/IMG_1~item-b.jpg');
      assert.equal(await sha256Of(sink, first.key), sha256(a), 'the first item is untouched');
      assert.equal(await sha256Of(sink, second.key), sha256(b));
      await sink.flush();
    });

    it('a body shorter than announced publishes nothing', async () => {
      const sink = make();
      const data = Buffer.from('a truncated body');
      await assert.rejects(sink.put({ ...input('2021/07/cut.jpg', data, 'item-c'), expectedSize: data.length + 10 }));
      assert.equal(await sink.stat('2021/07/cut.jpg'), undefined);
    });

    it('remove takes a published object away, and removing what is not there is no error', async () => {
      const sink = make();
      const stored = await sink.put(input('2021/07/gone.jpg', Buffer.from('to be removed'), 'item-d'));
      await sink.writeText(`${stored.key}.xmp`, '<x:xmpmeta/>', 'item-d');
      assert.ok(await sink.stat(stored.key));
      await sink.remove(stored.key);
      await sink.remove(`${stored.key}.xmp`);
      await sink.flush();
      assert.equal(await sink.stat(stored.key), undefined);
      assert.equal(await sink.stat(`${stored.key}.xmp`), undefined);
      await sink.remove(stored.key);
      await sink.remove('2021/07/never-there.jpg');
    });

    it('writeText without an owner replaces; with one it never goes over another item\'s object', async () => {
      const sink = make();
      await sink.writeText('.gphotos-backup/index.jsonl', 'one\n');
      await sink.writeText('.gphotos-backup/index.jsonl', 'two\n');
      assert.equal(await sha256Of(sink, '.gphotos-backup/index.jsonl'), sha256(Buffer.from('two\n')));
      const photo = await sink.put(input('2021/07/a.jpg.json', Buffer.from('a photo named like a sidecar'), 'item-e'));
      await sink.writeText(photo.key, '{"id":"item-f"}', 'item-f');
      assert.equal(await sha256Of(sink, photo.key), sha256(Buffer.from('a photo named like a sidecar')), 'the photo is left as it is');
    });
  });
}

sinkSuite('disk', () => new DiskSink(join(tempDir('sink-suite'), 'photos')));

let s3: S3TestServer | undefined;
let prefixes = 0;
before(async () => {
  s3 = await startS3Server();
});
after(() => s3?.stop());
sinkSuite('S3', () => {
  if (!s3) throw new Error('the S3 server did not start');
  return new S3Sink({ client: s3.client(), bucket: s3.bucket, prefix: `suite-${++prefixes}` });
});
