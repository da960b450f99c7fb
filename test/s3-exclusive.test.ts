// One key, one item, on every path: puts racing for one name (in one sink, and in two sinks as two
// workers have) against the real S3 server, with conditional writes taken as atomic, with keys
// reserved first, and on servers that ignore or refuse the conditions; sidecars that must never
// replace a media object nor be replaced by one, in S3 and on disk.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { CreateMultipartUploadCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { sha256Of } from '../src/cli/verify.js';
import { contentSha256, contentSpec, contentStream, type ContentSpec } from '../src/emulator/content.js';
import { candidateKeys } from '../src/sinks/layout.js';
import { DiskSink } from '../src/sinks/disk.js';
import { METADATA, S3Sink, type S3SinkOptions } from '../src/sinks/s3.js';
import type { KeyOwnership, PutInput, Sink, StoredObject } from '../src/sinks/sink.js';
import { incompleteUploads, startS3Server, type S3TestServer } from './harness/s3.js';
import { startS3FaultProxy, type S3FaultProxy } from './harness/s3-faults.js';
import { tempDir } from './harness/tmp.js';

const MiB = 1024 * 1024;
const NAME = 'IMG_0001.JPG';
const CREATED = '2024-05-10T08:00:00Z';

interface Item {
  readonly id: string;
  readonly spec: ContentSpec;
  readonly candidates: string[];
}

/** An item named IMG_0001.JPG from May 2024 with its own bytes. */
function item(id: string, size: number): Item {
  return { id, spec: contentSpec(`bytes-of-${id}`, size, 'image/jpeg'), candidates: candidateKeys({ id, filename: NAME, mimeType: 'image/jpeg', creationTime: CREATED }) };
}

function input(it: Item, overrides: Partial<PutInput> = {}): PutInput {
  return {
    candidates: it.candidates,
    body: contentStream(it.spec),
    expectedSize: it.spec.size,
    mimeType: 'image/jpeg',
    mtime: new Date(CREATED),
    mediaId: it.id,
    originalFilename: NAME,
    ownerOf: (): KeyOwnership => 'unknown',
    ...overrides,
  };
}

/** As the download activity does: a failed put is tried again with the body downloaded again. */
async function putWithRetries(sink: Sink, it: Item): Promise<StoredObject> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await sink.put(input(it));
    } catch (error) {
      if (attempt >= 4) throw error;
    }
  }
}

/** Media objects under a prefix (the probe object under .gphotos-backup/ left out). */
async function mediaKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/` }));
  return (page.Contents ?? []).map((o) => o.Key ?? '').filter((key) => !key.includes('/.gphotos-backup/'));
}

/** Runs `action` once, right after the client's HEAD of `key` has been answered. */
function afterHeadOf(client: S3Client, key: string, action: () => Promise<unknown>): void {
  let fired = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } finally {
        const target = (args.input as { Key?: string }).Key;
        if (!fired && context.commandName === 'HeadObjectCommand' && target === key) {
          fired = true;
          await action();
        }
      }
    },
    { step: 'initialize' },
  );
}

/** A client whose conditional headers never reach the server: a server that ignores them. */
function withoutConditions(client: S3Client): S3Client {
  client.middlewareStack.add(
    (next) => async (args) => {
      const headers = (args.request as { headers?: Record<string, string> }).headers;
      if (headers) for (const name of Object.keys(headers)) if (/^if-(none-)?match$/i.test(name)) delete headers[name];
      return next(args);
    },
    { step: 'build' },
  );
  return client;
}

describe('one key, one item: S3 puts racing for one name', () => {
  let server: S3TestServer;
  let client: S3Client;
  let proxy: S3FaultProxy;
  const sinkOn = (c: S3Client, prefix: string, extra: Partial<S3SinkOptions> = {}) => new S3Sink({ client: c, bucket: server.bucket, prefix, partSize: 5 * MiB, ...extra });
  const proxied = () => server.client({ endpoint: proxy.endpoint });

  before(async () => {
    server = await startS3Server();
    client = server.client();
    proxy = await startS3FaultProxy(server.endpoint);
  });
  after(async () => {
    await proxy?.close();
    await server?.stop();
  });

  /** Every item under its own key, byte-exact, with its own media id; nothing else stored, no upload left open. */
  async function assertEachStoredOnce(sink: S3Sink, prefix: string, items: readonly Item[], stored: readonly StoredObject[]): Promise<void> {
    const keys = stored.map((s) => s.key);
    assert.equal(new Set(keys).size, items.length, `distinct keys: ${keys.join(' ')}`);
    for (const [i, it] of items.entries()) {
      const key = keys[i] ?? '';
      assert.ok(it.candidates.includes(key), `${key} is one of ${it.id}'s names`);
      assert.equal(await sha256Of(sink, key), await contentSha256(it.spec), `bytes of ${it.id} at ${key}`);
      const head = await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: `${prefix}/${key}` }));
      assert.equal(head.Metadata?.[METADATA.mediaId], it.id);
    }
    assert.equal((await mediaKeys(client, server.bucket, prefix)).length, items.length, 'no other object');
    assert.equal(await incompleteUploads(client, server.bucket), 0);
  }

  it('concurrent puts of different bytes for one name, in one sink and in two (two workers), store every item under its own key', async () => {
    // HEADs answered late: both workers find the name free at about the same moment.
    proxy.setRules([{ method: 'HEAD', delayMs: 20, every: 1 }]);
    // Two workers: separate clients and sinks, each with many puts at once.
    const sinks = [sinkOn(proxied(), 'race'), sinkOn(proxied(), 'race')];
    // Small photos, photos of a few MiB (sent in one request, long enough for two writes to
    // overlap on the server), and bodies long enough for a multipart upload.
    const sizes = (i: number) => (i % 8 === 3 ? 5 * MiB + 1000 + i : i % 8 < 3 ? 2 * MiB + i * 4099 : 1024 + i * 997);
    const items = Array.from({ length: 40 }, (_, i) => item(`race-${i}`, sizes(i)));
    const stored = await Promise.all(items.map((it, i) => putWithRetries(sinks[i % 2] as S3Sink, it)));
    assert.ok(proxy.delayed > 0);
    await assertEachStoredOnce(sinks[0] as S3Sink, 'race', items, stored);
  });

  it('two workers whose writes of a few MiB to one name overlap on the server store both items', async () => {
    // versitygw checks If-None-Match when a PUT arrives, not when its object lands: two PUTs that
    // overlap both succeed there, and the last one replaces the other (with conditions alone, about
    // every other pair below loses a photo). Each round starts both puts at once.
    proxy.setRules([{ method: 'HEAD', delayMs: 20, every: 1 }]);
    for (let round = 0; round < 8; round++) {
      const prefix = `overlap-${round}`;
      const sinks = [sinkOn(proxied(), prefix), sinkOn(proxied(), prefix)];
      const items = [item(`${prefix}-a`, 3 * MiB + 1), item(`${prefix}-b`, 3 * MiB + 2)];
      const stored = await Promise.all(items.map((it, i) => (sinks[i] as S3Sink).put(input(it))));
      await assertEachStoredOnce(sinks[0] as S3Sink, prefix, items, stored);
    }
  });

  it('with conditions taken as atomic (AWS), a name taken between the HEAD and the write is left to its item', async () => {
    const own = server.client();
    const sink = sinkOn(own, 'atomic', { atomicConditionalWrites: true });
    const [small, big, other] = [item('atomic-small', 3000), item('atomic-big', 6 * MiB), item('atomic-other', 2000)];
    const otherBytes = Buffer.from('the object of another item');
    const otherSha256 = createHash('sha256').update(otherBytes).digest('hex');
    const takeName = (key: string) => () => client.send(new PutObjectCommand({ Bucket: server.bucket, Key: `atomic/${key}`, Body: otherBytes, Metadata: { [METADATA.mediaId]: other.id } }));
    const [plain, next] = [small.candidates[0] ?? '', big.candidates[1] ?? ''];
    afterHeadOf(own, `atomic/${plain}`, takeName(plain));
    const first = await sink.put(input(small));
    assert.equal(first.key, small.candidates[1], 'the next name');

    // A multipart upload sends its bytes before the completion is refused: the put fails, and the
    // next attempt stores the item under the name after.
    afterHeadOf(own, `atomic/${next}`, takeName(next));
    await assert.rejects(sink.put(input(big)), /changed while its upload ran/);
    const second = await sink.put(input(big));
    assert.equal(second.key, big.candidates[2]);
    for (const key of [plain, next]) assert.equal(await sha256Of(sink, key), otherSha256, `${key} untouched`);
    assert.equal(await sha256Of(sink, first.key), await contentSha256(small.spec));
    assert.equal(await sha256Of(sink, second.key), await contentSha256(big.spec));
    assert.equal(await incompleteUploads(client, server.bucket), 0);
  });

  it('a name reserved by another writer is left to it, small or multipart, and no byte of the body is lost', async () => {
    const sink = sinkOn(server.client(), 'reserved');
    const [small, big] = [item('reserved-small', 4000), item('reserved-big', 7 * MiB)];
    const plain = `reserved/${small.candidates[0] ?? ''}`;
    const held = await client.send(new CreateMultipartUploadCommand({ Bucket: server.bucket, Key: plain }));
    const stored = [await sink.put(input(small)), await sink.put(input(big))];
    assert.deepEqual(stored.map((s) => s.key), [small.candidates[1], big.candidates[1]]);
    assert.equal(await sink.stat(small.candidates[0] ?? ''), undefined, 'the reserved name stays free');
    assert.equal(await sha256Of(sink, stored[1]?.key ?? ''), await contentSha256(big.spec));
    assert.equal(await sink.sweep(), 1, 'only the other writer\'s upload was left');
    assert.ok(held.UploadId);
  });

  for (const variant of ['answers 501 to', 'ignores'] as const) {
    it(`a server that ${variant} conditional writes gets every object under its item's own name`, async () => {
      const prefix = variant === 'ignores' ? 'ignored' : 'refused';
      proxy.setRules(variant === 'ignores' ? [] : [{ header: 'if-none-match', status: 501, every: 1 }, { header: 'if-match', status: 501, every: 1 }]);
      const clients = variant === 'ignores' ? [withoutConditions(server.client()), withoutConditions(server.client())] : [proxied(), proxied()];
      const sinks = clients.map((c) => sinkOn(c, prefix));
      const items = Array.from({ length: 12 }, (_, i) => item(`${prefix}-${i}`, i === 3 ? 6 * MiB : 1500 + i));
      const stored = await Promise.all(items.map((it, i) => putWithRetries(sinks[i % 2] as S3Sink, it)));
      await assertEachStoredOnce(sinks[0] as S3Sink, prefix, items, stored);
      assert.deepEqual(stored.map((s) => s.key), items.map((it) => it.candidates.at(-1)), 'the names suffixed with the whole hash of the id');
      if (variant !== 'ignores') assert.ok((proxy.injected[501] ?? 0) > 0);
    });
  }

  it('a sidecar never replaces a media object nor another item\'s sidecar, and a media object never replaces a sidecar', async () => {
    const sink = sinkOn(server.client(), 'sidecars');
    const photo = { ...item('photo-named-json', 5000), candidates: ['2021/07/a.jpg.json', '2021/07/a.jpg~pppppp.json'] };
    assert.equal((await sink.put(input(photo))).key, '2021/07/a.jpg.json');
    await sink.writeText('2021/07/a.jpg.json', '{"id":"item-a"}\n', 'item-a');
    assert.equal(await sha256Of(sink, '2021/07/a.jpg.json'), await contentSha256(photo.spec), 'the photo is untouched');

    await sink.writeText('2021/07/b.jpg.json', '{"id":"item-b"}\n', 'item-b');
    const later = { ...item('photo-after-sidecar', 6000), candidates: ['2021/07/b.jpg.json', '2021/07/b.jpg~qqqqqq.json'] };
    assert.equal((await sink.put(input(later))).key, '2021/07/b.jpg~qqqqqq.json', 'the sidecar\'s name is not the photo\'s');
    await sink.writeText('2021/07/b.jpg.json', '{"id":"item-b","v":2}\n', 'item-b');
    await sink.writeText('2021/07/b.jpg.json', '{"id":"item-c"}\n', 'item-c');
    assert.equal(await text(sink.read('2021/07/b.jpg.json')), '{"id":"item-b","v":2}\n', 'its own item replaced it; another did not');
  });
});

describe('one key, one item: sidecars on disk', () => {
  it('a sidecar never replaces a file of another item; its own item replaces it', async () => {
    const root = tempDir('disk-sidecars');
    const sink = new DiskSink(root);
    const photo = { ...item('disk-photo', 5000), candidates: ['2021/07/a.jpg.json'] };
    await sink.put(input(photo));
    await sink.writeText('2021/07/a.jpg.json', '{"id":"item-a"}\n', 'item-a');
    assert.equal(await sha256Of(sink, '2021/07/a.jpg.json'), await contentSha256(photo.spec));
    await sink.writeText('2021/07/b.jpg.json', '{"id":"item-b"}\n', 'item-b');
    await sink.writeText('2021/07/b.jpg.json', '{"id":"item-b","v":2}\n', 'item-b');
    await sink.writeText('2021/07/b.jpg.json', '{"id":"item-c"}\n', 'item-c');
    assert.equal(readFileSync(join(root, '2021/07/b.jpg.json'), 'utf8'), '{"id":"item-b","v":2}\n');
  });
});
