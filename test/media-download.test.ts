// Media downloads without an overall deadline: a slow but steady body is fine however long it
// takes, a server that never answers or falls silent mid-body fails as a retryable network error.
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { AccessTokenSource } from '../src/google/credentials.js';
import { GooglePhotosError } from '../src/google/errors.js';
import { openMedia } from '../src/google/media-download.js';

const BURST = 4 * 1024 * 1024;
const tokens: AccessTokenSource = { token: () => Promise.resolve('test-token'), invalidate: () => undefined };

async function drain(body: NodeJS.ReadableStream): Promise<number> {
  let bytes = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) bytes += chunk.length;
  return bytes;
}

describe('media download timeouts', () => {
  let server: Server;
  let base: string;
  const open: ServerResponse[] = [];

  before(async () => {
    server = createServer((req, res) => {
      open.push(res);
      const path = req.url ?? '';
      if (path.startsWith('/silent')) return; // never answers
      if (path.startsWith('/burst')) {
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(BURST) });
        res.end(Buffer.alloc(BURST, 3)); // all at once, more than the stream buffers hold
        return;
      }
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '30000' });
      res.flushHeaders();
      if (path.startsWith('/stall')) {
        res.write(Buffer.alloc(5000, 1)); // then nothing more
        return;
      }
      // /trickle: 30 chunks of 1000 bytes, 100 ms apart: 3 s in all
      let sent = 0;
      const tick = setInterval(() => {
        res.write(Buffer.alloc(1000, 2));
        if (++sent === 30) {
          clearInterval(tick);
          res.end();
        }
      }, 100);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const res of open) res.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('a slow but steady body takes as long as it needs, well past the first-byte timeout', async () => {
    const media = await openMedia(`${base}/trickle`, 'video', { tokens, firstByteTimeoutMs: 1000, idleTimeoutMs: 1000 });
    assert.equal(media.size, 30000);
    assert.equal(await drain(media.body), 30000);
  });

  it('a reader that pauses longer than the idle timeout is not taken for a silent server', async () => {
    const media = await openMedia(`${base}/burst`, 'video', { tokens, idleTimeoutMs: 300 });
    const reader = (media.body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    const first = await reader.next();
    let bytes = first.done ? 0 : first.value.length;
    await new Promise((r) => setTimeout(r, 1000)); // an upload throttled for a while
    for (let next = await reader.next(); !next.done; next = await reader.next()) bytes += next.value.length;
    assert.equal(bytes, BURST);
  });

  it('a server that does not answer fails as a retryable network error', async () => {
    const failure = await openMedia(`${base}/silent`, 'photo', { tokens, firstByteTimeoutMs: 300 }).catch((error: unknown) => error);
    assert.ok(failure instanceof GooglePhotosError);
    assert.equal(failure.kind, 'network');
    assert.equal(failure.retryable, true);
    assert.match(failure.message, /no answer/);
  });

  it('a body that falls silent fails as a retryable network error', async () => {
    const media = await openMedia(`${base}/stall`, 'video', { tokens, idleTimeoutMs: 300 });
    const failure = await drain(media.body).catch((error: unknown) => error);
    assert.ok(failure instanceof GooglePhotosError, String(failure));
    assert.equal(failure.kind, 'network');
    assert.match(failure.message, /no bytes/);
  });
});
