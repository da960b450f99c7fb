// Media downloads without an overall deadline: a slow but steady body is fine however long it
// takes, a server that never answers or falls silent mid-body fails as a retryable network error.
// The bearer token goes only to Google's media hosts and the configured API origins.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { toActivityFailure } from '../src/activities/failures.js';
import { apiOrigins } from '../src/config.js';
import type { AccessTokenSource } from '../src/google/credentials.js';
import { GooglePhotosError } from '../src/google/errors.js';
import { checkMediaUrl, openMedia } from '../src/google/media-download.js';

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
    const media = await openMedia(`${base}/trickle`, 'video', { tokens, allowedOrigins: [base], firstByteTimeoutMs: 1000, idleTimeoutMs: 1000 });
    assert.equal(media.size, 30000);
    assert.equal(await drain(media.body), 30000);
  });

  it('a reader that pauses longer than the idle timeout is not taken for a silent server', async () => {
    const media = await openMedia(`${base}/burst`, 'video', { tokens, allowedOrigins: [base], idleTimeoutMs: 300 });
    const reader = (media.body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    const first = await reader.next();
    let bytes = first.done ? 0 : first.value.length;
    await new Promise((r) => setTimeout(r, 1000)); // an upload throttled for a while
    for (let next = await reader.next(); !next.done; next = await reader.next()) bytes += next.value.length;
    assert.equal(bytes, BURST);
  });

  it('a server that does not answer fails as a retryable network error', async () => {
    const failure = await openMedia(`${base}/silent`, 'photo', { tokens, allowedOrigins: [base], firstByteTimeoutMs: 300 }).catch((error: unknown) => error);
    assert.ok(failure instanceof GooglePhotosError);
    assert.equal(failure.kind, 'network');
    assert.equal(failure.retryable, true);
    assert.match(failure.message, /no answer/);
  });

  it('a body that falls silent fails as a retryable network error', async () => {
    const media = await openMedia(`${base}/stall`, 'video', { tokens, allowedOrigins: [base], idleTimeoutMs: 300 });
    const failure = await drain(media.body).catch((error: unknown) => error);
    assert.ok(failure instanceof GooglePhotosError, String(failure));
    assert.equal(failure.kind, 'network');
    assert.match(failure.message, /no bytes/);
  });

  it("a cancelled download fails with the caller's reason; the caller's signal keeps no listener once downloads are over", async () => {
    const caller = new AbortController();
    const options = { tokens, allowedOrigins: [base], signal: caller.signal };
    assert.equal(await drain((await openMedia(`${base}/burst`, 'video', options)).body), BURST);
    const silent = await openMedia(`${base}/silent`, 'photo', { ...options, firstByteTimeoutMs: 200 }).catch((error: unknown) => error);
    assert.ok(silent instanceof GooglePhotosError);
    assert.equal(getEventListeners(caller.signal, 'abort').length, 0, 'ended and failed downloads let go of the signal');
    const stalled = await openMedia(`${base}/stall`, 'video', options);
    const reason = new Error('cancelled by the workflow');
    setTimeout(() => caller.abort(reason), 100);
    const failure = await drain(stalled.body).catch((error: unknown) => error);
    assert.equal(failure, reason);
    assert.equal(getEventListeners(caller.signal, 'abort').length, 0, 'a cancelled download lets go of the signal');
  });
});

/** A loopback server that records the Authorization header of every request it gets. */
async function recordingServer(): Promise<{ server: Server; base: string; seen: (string | undefined)[] }> {
  const seen: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': '3' });
    res.end('abc');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function assertUntrusted(error: unknown, host: RegExp): void {
  assert.ok(error instanceof GooglePhotosError, String(error));
  assert.equal(error.kind, 'untrusted-host');
  assert.equal(error.retryable, false);
  assert.match(error.message, host);
}

describe('where media downloads send the token', () => {
  let api: Awaited<ReturnType<typeof recordingServer>>;
  let elsewhere: Awaited<ReturnType<typeof recordingServer>>;
  let tokenCalls = 0;
  const counted: AccessTokenSource = { token: () => ((tokenCalls += 1), Promise.resolve('test-token')), invalidate: () => undefined };

  before(async () => {
    api = await recordingServer();
    elsewhere = await recordingServer();
  });
  after(async () => {
    for (const { server } of [api, elsewhere]) await new Promise((resolve) => server.close(resolve));
  });

  it('a configured API origin gets the token', async () => {
    const origins = apiOrigins({ libraryApiUrl: `${api.base}/`, pickerApiUrl: 'https://photospicker.googleapis.com' });
    const media = await openMedia(`${api.base}/lr/item`, 'photo', { tokens: counted, allowedOrigins: origins });
    assert.equal(await drain(media.body), 3);
    assert.deepEqual(api.seen, ['Bearer test-token']);
  });

  it('another port on the same loopback address is refused before any request or token', async () => {
    const calls = tokenCalls;
    const failure = await openMedia(`${elsewhere.base}/lr/item`, 'photo', { tokens: counted, allowedOrigins: [api.base] }).catch((error: unknown) => error);
    assertUntrusted(failure, new RegExp(`http://127\\.0\\.0\\.1:${new URL(elsewhere.base).port}`));
    assert.deepEqual(elsewhere.seen, []);
    assert.equal(tokenCalls, calls, 'no token was even fetched');
    const mapped = toActivityFailure(failure);
    assert.ok(mapped instanceof ApplicationFailure);
    assert.equal(mapped.nonRetryable, true);
    assert.equal(mapped.type, 'untrusted-host');
  });

  it('without configured origins, and over plain http, a googleusercontent-looking host is refused', async () => {
    const failure = await openMedia('http://lh3.googleusercontent.com/lr/item', 'video', { tokens: counted, allowedOrigins: [api.base] }).catch((error: unknown) => error);
    assertUntrusted(failure, /http:\/\/lh3\.googleusercontent\.com/);
    assertUntrusted(await openMedia(`${api.base}/lr/item`, 'photo', { tokens: counted }).catch((error: unknown) => error), /127\.0\.0\.1/);
    assert.equal(api.seen.length, 1, 'only the allowed download reached the server');
  });

  it("Google's media hosts are https on googleusercontent.com and its subdomains only", () => {
    for (const url of ['https://lh3.googleusercontent.com/lr/x=d', 'https://video-downloads.googleusercontent.com/x=dv', 'https://a.b.googleusercontent.com/x', 'https://googleusercontent.com/x']) {
      assert.equal(checkMediaUrl(url).href, url);
    }
    const refused = [
      'https://evilgoogleusercontent.com/x',
      'https://lh3.googleusercontent.com.evil.example/x',
      'https://lh3.googleusercontent.com@evil.example/x',
      'https://photoslibrary.googleapis.com/x',
      'ftp://lh3.googleusercontent.com/x',
      'not a url',
    ];
    for (const url of refused) assert.throws(() => checkMediaUrl(url), (error: unknown) => error instanceof GooglePhotosError && error.kind === 'untrusted-host', url);
    assert.throws(() => checkMediaUrl('https://lh3.googleusercontent.com@evil.example/x'), /evil\.example/);
    assert.ok(checkMediaUrl('https://photoslibrary.googleapis.com/x', apiOrigins({ libraryApiUrl: 'https://photoslibrary.googleapis.com', pickerApiUrl: 'https://photospicker.googleapis.com' })));
  });
});
