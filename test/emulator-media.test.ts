// Emulator conformance: media URLs (download parameters, expiry, bearer rules, processing
// videos, Range switch) and streaming of a multi-GB video without buffering.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Emulator } from '../src/emulator/server.js';
import { callApi, startEmulator } from './harness/emulator.js';

interface Item {
  id: string;
  baseUrl?: string;
  mimeType: string;
  mediaMetadata: { video?: { status: string } };
}

async function baseUrlOf(emulator: Emulator, id: string): Promise<string> {
  const answer = await callApi<Item>(`${emulator.env().GPHOTOS_LIBRARY_API_URL}/v1/mediaItems/${id}`, { token: emulator.accessToken() });
  assert.equal(answer.status, 200);
  assert.ok(answer.body.baseUrl, `item ${id} has a baseUrl`);
  return answer.body.baseUrl;
}

async function download(url: string, headers: Record<string, string> = {}): Promise<{ status: number; sha256: string; length: number; type: string | null; headers: Headers }> {
  const response = await fetch(url, { headers });
  const body = Buffer.from(await response.arrayBuffer());
  return { status: response.status, sha256: createHash('sha256').update(body).digest('hex'), length: body.length, type: response.headers.get('content-type'), headers: response.headers };
}

describe('emulator: media URLs', async () => {
  const emulator = await startEmulator({ preset: 'hostile', processingReadyAfterMs: 60_000 });
  const item = (name: string) => {
    const found = emulator.library.items.find((i) => i.filename === name);
    assert.ok(found, name);
    return found;
  };

  it('=d serves a photo\'s original bytes; =w-h and no parameter serve other (resized) bytes', async () => {
    const photo = item('epoch.jpg');
    const url = await baseUrlOf(emulator, photo.id);
    const expected = await emulator.expected(photo.id);
    const original = await download(`${url}=d`);
    assert.equal(original.status, 200);
    assert.equal(original.sha256, expected.sha256);
    assert.equal(original.length, expected.size);
    assert.equal(original.type, 'image/jpeg');
    assert.equal(original.headers.get('content-length'), String(expected.size));
    assert.match(original.headers.get('content-disposition') ?? '', /^attachment;/);
    for (const suffix of ['=w200-h100', '=w200-h100-c', '', '=w2048-h2048-d']) {
      const resized = await download(`${url}${suffix}`);
      assert.equal(resized.status, 200, suffix);
      assert.notEqual(resized.sha256, expected.sha256, `${suffix} gives other bytes than =d`);
      assert.equal(resized.type, 'image/jpeg');
    }
    assert.notEqual((await download(`${url}=w200-h100`)).sha256, (await download(`${url}=w300-h100`)).sha256);
  });

  it('=dv serves a video\'s bytes; a video without =dv gives a JPEG thumbnail', async () => {
    const video = item('ready.mp4');
    const url = await baseUrlOf(emulator, video.id);
    const expected = await emulator.expected(video.id);
    const bytes = await download(`${url}=dv`);
    assert.equal(bytes.sha256, expected.sha256);
    assert.equal(bytes.type, 'video/mp4');
    for (const suffix of ['=d', '=w100-h100', '']) {
      const thumb = await download(`${url}${suffix}`);
      assert.equal(thumb.type, 'image/jpeg', suffix);
      assert.notEqual(thumb.sha256, expected.sha256);
    }
  });

  it('PROCESSING videos have no bytes until READY; FAILED ones never', async () => {
    const processing = item('becomes-ready.mp4');
    const url = await baseUrlOf(emulator, processing.id);
    assert.equal((await download(`${url}=dv`)).status, 404);
    const failed = item('failed.mp4');
    assert.equal((await download(`${await baseUrlOf(emulator, failed.id)}=dv`)).status, 404);
    emulator.advanceClock(61_000);
    const answer = await callApi<Item>(`${emulator.env().GPHOTOS_LIBRARY_API_URL}/v1/mediaItems/${processing.id}`, { token: emulator.accessToken() });
    assert.equal(answer.body.mediaMetadata.video?.status, 'READY');
    assert.equal((await download(`${url}=dv`)).sha256, (await emulator.expected(processing.id)).sha256);
  });

  it('PROCESSING videos can come without a baseUrl (switch)', async () => {
    const omitting = await startEmulator({ preset: 'hostile', behaviour: { processingVideoBaseUrl: 'omitted' } });
    const stuck = omitting.library.items.find((i) => i.filename === 'stuck-processing.mp4');
    const answer = await callApi<Item>(`${omitting.env().GPHOTOS_LIBRARY_API_URL}/v1/mediaItems/${stuck?.id ?? ''}`, { token: omitting.accessToken() });
    assert.equal(answer.body.baseUrl, undefined);
  });

  it('an expired baseUrl answers 403; a tampered one 404', async () => {
    const own = await startEmulator({ preset: 'hostile' });
    const photo = own.library.items[0];
    assert.ok(photo);
    const url = await baseUrlOf(own, photo.id);
    assert.equal((await download(`${url}=d`)).status, 200);
    own.advanceClock(60 * 60 * 1000 + 1);
    assert.equal((await download(`${url}=d`)).status, 403);
    const tampered = url.replace(/~.{4}/, '~AAAA');
    assert.equal((await download(`${tampered}=d`)).status, 404);
  });

  it('Library baseUrls need no bearer unless switched on; HEAD gives the size', async () => {
    const strict = await startEmulator({ preset: 'hostile', behaviour: { libraryMediaRequiresBearer: true } });
    const photo = strict.library.items[0];
    assert.ok(photo);
    const url = await baseUrlOf(strict, photo.id);
    assert.equal((await download(`${url}=d`)).status, 403);
    assert.equal((await download(`${url}=d`, { authorization: `Bearer ${strict.accessToken()}` })).status, 200);
    const head = await fetch(`${url}=d`, { method: 'HEAD', headers: { authorization: `Bearer ${strict.accessToken()}` } });
    assert.equal(head.headers.get('content-length'), String(photo.size));
  });

  it('Range is ignored by default and honoured when switched on', async () => {
    const photo = item('leap.jpg');
    const url = await baseUrlOf(emulator, photo.id);
    const ignored = await fetch(`${url}=d`, { headers: { range: 'bytes=10-19' } });
    assert.equal(ignored.status, 200);
    const full = Buffer.from(await ignored.arrayBuffer());
    const ranged = await startEmulator({ preset: 'hostile', behaviour: { mediaRange: true } });
    const rangedUrl = await baseUrlOf(ranged, photo.id);
    const part = await fetch(`${rangedUrl}=d`, { headers: { range: 'bytes=10-19' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 10-19/${photo.size}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), full.subarray(10, 20));
  });
});

describe('emulator: a multi-GB video', () => {
  it('streams 2 GiB with the right sha256 and without buffering it', async () => {
    const size = 2 * 1024 ** 3;
    const emulator = await startEmulator({ preset: 'bigvideo', videoSize: size });
    const video = emulator.library.items[0];
    assert.ok(video);
    const url = await baseUrlOf(emulator, video.id);
    const response = await fetch(`${url}=dv`);
    assert.equal(response.headers.get('content-length'), String(size));
    const hash = createHash('sha256');
    let length = 0;
    let peakRss = 0;
    const startRss = process.memoryUsage().rss;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      length += chunk.length;
      if ((length & 0x3ffffff) < chunk.length) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    assert.equal(length, size);
    assert.equal(hash.digest('hex'), (await emulator.expected(video.id)).sha256);
    // Server and client share this process: growth well under the 2 GiB streamed means no buffering.
    assert.ok(peakRss - startRss < 200 * 1024 * 1024, `RSS grew ${Math.round((peakRss - startRss) / 1e6)} MB while streaming`);
  });
});
