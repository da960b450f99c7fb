// Emulator conformance: every injected fault, daily quotas, counters and the control API, and how
// gphotos-backup's Library client classifies each failure.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Emulator } from '../src/emulator/server.js';
import { RefreshingAccessTokens } from '../src/google/credentials.js';
import { GooglePhotosError, MIN_RATE_LIMIT_DELAY_MS } from '../src/google/errors.js';
import { LibraryClient } from '../src/google/library-client.js';
import { callApi, startEmulator } from './harness/emulator.js';

function libraryClient(emulator: Emulator): LibraryClient {
  const env = emulator.env();
  return new LibraryClient({ apiUrl: env.GPHOTOS_LIBRARY_API_URL, tokens: new RefreshingAccessTokens(emulator.credentials(), { tokenUrl: env.GOOGLE_OAUTH_TOKEN_URL }) });
}

async function expectKind(promise: Promise<unknown>, kind: string): Promise<GooglePhotosError> {
  let caught: unknown;
  await promise.catch((error: unknown) => {
    caught = error;
  });
  assert.ok(caught instanceof GooglePhotosError, `expected a GooglePhotosError, got ${String(caught)}`);
  assert.equal(caught.kind, kind, caught.message);
  return caught;
}

async function firstBaseUrl(emulator: Emulator): Promise<{ id: string; url: string }> {
  const page = await libraryClient(emulator).list(100);
  const item = page.mediaItems?.find((i) => (i.mimeType ?? '').startsWith('image/') && (emulator.item(i.id)?.size ?? 0) > 20_000);
  assert.ok(item?.baseUrl);
  return { id: item.id, url: item.baseUrl };
}

describe('emulator: faults', async () => {
  const emulator = await startEmulator({ preset: 'mixed' });
  const client = libraryClient(emulator);

  it('429 per-minute limit with and without Retry-After → rate-limited, retry after ≥30 s', async () => {
    emulator.addFault({ target: 'library', kind: 'rate-limit', retryAfterSeconds: 90 });
    const withHeader = await expectKind(client.list(10), 'rate-limited');
    assert.equal(withHeader.details.retryAfterMs, 90_000);
    assert.equal(withHeader.retryable, true);
    emulator.addFault({ target: 'library', kind: 'rate-limit' });
    const without = await expectKind(client.list(10), 'rate-limited');
    assert.equal(without.details.retryAfterMs, MIN_RATE_LIMIT_DELAY_MS);
    assert.ok((await client.list(10)).mediaItems, 'the fault fired once, then the API answers again');
  });

  it('5xx → server (retryable)', async () => {
    for (const status of [500, 502, 503] as const) {
      emulator.addFault({ target: 'library', kind: 'server-error', status });
      const error = await expectKind(client.list(10), 'server');
      assert.equal(error.details.status, status);
    }
  });

  it('daily quota → 429 naming the PerDay limit → daily-quota; usable again after the reset', async () => {
    const periodMs = 4000;
    const own = await startEmulator({ preset: 'mixed', behaviour: { quota: { periodMs, resetOffsetMs: 0 } } });
    const ownClient = libraryClient(own);
    // Start at the beginning of a period, so that a slow machine does not reach the reset before the checks.
    await new Promise((resolve) => setTimeout(resolve, periodMs - (Date.now() % periodMs) + 20));
    const resetsAt = Date.parse(own.exhaustQuota('libraryApi'));
    const raw = await callApi<{ error: { message: string; status: string } }>(`${own.env().GPHOTOS_LIBRARY_API_URL}/v1/mediaItems`, { token: own.accessToken() });
    assert.equal(raw.status, 429);
    assert.equal(raw.body.error.status, 'RESOURCE_EXHAUSTED');
    assert.match(raw.body.error.message, /ApiCallsPerProjectPerDay/);
    await expectKind(ownClient.list(10), 'daily-quota');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, resetsAt - Date.now()) + 50));
    assert.ok((await ownClient.list(10)).mediaItems);
  });

  it('media daily quota: the 75,000/day bucket is enforced on baseUrls', async () => {
    const own = await startEmulator({ preset: 'mixed', behaviour: { quota: { libraryMedia: 2 } } });
    const { url } = await firstBaseUrl(own);
    assert.equal((await fetch(`${url}=d`)).status, 200);
    assert.equal((await fetch(`${url}=d`)).status, 200);
    const third = await fetch(`${url}=d`);
    assert.equal(third.status, 429);
    assert.match(await third.text(), /PerDay/);
  });

  it('connection reset mid-body: the client sees an error after some bytes', async () => {
    const { id, url } = await firstBaseUrl(emulator);
    emulator.addFault({ target: 'media', kind: 'reset', itemId: id, afterBytes: 10_000 });
    const response = await fetch(`${url}=d`);
    assert.equal(response.status, 200);
    await assert.rejects(response.arrayBuffer());
  });

  it('truncated body with the full Content-Length: the read fails; without a length: a short body that only a hash check catches', async () => {
    const { id, url } = await firstBaseUrl(emulator);
    const expected = await emulator.expected(id);
    emulator.addFault({ target: 'media', kind: 'truncate', itemId: id, afterBytes: 5000, declareLength: true });
    const declared = await fetch(`${url}=d`);
    assert.equal(declared.headers.get('content-length'), String(expected.size));
    await assert.rejects(declared.arrayBuffer());

    emulator.addFault({ target: 'media', kind: 'truncate', itemId: id, afterBytes: 5000, declareLength: false });
    const silent = await fetch(`${url}=d`);
    assert.equal(silent.headers.get('content-length'), null);
    const body = Buffer.from(await silent.arrayBuffer());
    assert.equal(body.length, 5000);
    assert.notEqual(createHash('sha256').update(body).digest('hex'), expected.sha256);
  });

  it('slow first byte delays the response by at least the configured time', async () => {
    const { id, url } = await firstBaseUrl(emulator);
    emulator.addFault({ target: 'media', kind: 'slow', itemId: id, delayMs: 700 });
    const started = Date.now();
    const response = await fetch(`${url}=d`);
    assert.ok(Date.now() - started >= 650, 'headers arrive only after the delay');
    assert.equal(response.status, 200);
    await response.arrayBuffer();
  });

  it('early URL expiry answers 403 before the URL\'s time; a fresh URL works', async () => {
    const { id, url } = await firstBaseUrl(emulator);
    emulator.addFault({ target: 'media', kind: 'expire-url', itemId: id });
    assert.equal((await fetch(`${url}=d`)).status, 403);
    const fresh = (await libraryClient(emulator).get(id)).baseUrl;
    assert.equal((await fetch(`${fresh ?? ''}=d`)).status, 200);
  });

  it('probabilistic faults fire on about their share of requests, deterministically seeded', async () => {
    const own = await startEmulator({ preset: 'mixed' });
    own.addFault({ target: 'library', kind: 'server-error', probability: 0.5 });
    let failures = 0;
    for (let i = 0; i < 40; i++) {
      const answer = await callApi(`${own.env().GPHOTOS_LIBRARY_API_URL}/v1/mediaItems?pageSize=1`, { token: own.accessToken() });
      if (answer.status === 503) failures += 1;
    }
    assert.ok(failures > 5 && failures < 35, `${failures} of 40 failed`);
  });

  it('a 401 makes the client refresh once; a revoked sign-in fails as revoked (not retryable)', async () => {
    const own = await startEmulator({ preset: 'mixed' });
    const ownClient = libraryClient(own);
    assert.ok((await ownClient.list(5)).mediaItems);
    own.expireAccessTokens();
    assert.ok((await ownClient.list(5)).mediaItems, 'refreshed after the 401');
    own.revoke();
    own.expireAccessTokens();
    const error = await expectKind(ownClient.list(5), 'revoked');
    assert.equal(error.retryable, false);
  });

  it('403 insufficient scopes → insufficient-scope with a hint', async () => {
    const own = await startEmulator({ preset: 'mixed' });
    const env = own.env();
    const picker = new LibraryClient({ apiUrl: env.GPHOTOS_LIBRARY_API_URL, tokens: new RefreshingAccessTokens(own.credentials(['https://www.googleapis.com/auth/photoslibrary.readonly']), { tokenUrl: env.GOOGLE_OAUTH_TOKEN_URL }) });
    const error = await expectKind(picker.list(5), 'insufficient-scope');
    assert.match(error.message, /insufficient authentication scopes/);
  });

  it('a refused connection → network (retryable)', async () => {
    const gone = new LibraryClient({ apiUrl: 'http://127.0.0.1:1', tokens: { token: () => Promise.resolve('t'), invalidate: () => undefined } });
    const error = await expectKind(gone.list(5), 'network');
    assert.equal(error.retryable, true);
  });
});

describe('emulator: counters and the control API', async () => {
  const emulator = await startEmulator({ preset: 'mixed' });
  const control = `${emulator.url}/__emulator`;

  it('counts requests per operation, media per item and media bytes; resets', async () => {
    emulator.resetCounters();
    const client = libraryClient(emulator);
    const page = await client.list(3);
    const item = page.mediaItems?.[0];
    assert.ok(item?.baseUrl);
    await (await fetch(`${item.baseUrl}=d`)).arrayBuffer();
    await (await fetch(`${item.baseUrl}=d`)).arrayBuffer();
    await client.batchGet([item.id]);
    const counters = (await callApi<{ requests: Record<string, number>; mediaByItem: Record<string, number>; mediaBytes: number }>(`${control}/counters`)).body;
    assert.equal(counters.requests['library.list'], 1);
    assert.equal(counters.requests['library.batchGet'], 1);
    assert.equal(counters.requests['oauth.token'], 1);
    assert.equal(counters.requests.media, 2);
    assert.equal(counters.mediaByItem[item.id], 2);
    assert.equal(counters.mediaBytes, 2 * (emulator.item(item.id)?.size ?? 0));
    await callApi(`${control}/counters/reset`, { method: 'POST' });
    assert.deepEqual(emulator.counters().requests, {});
  });

  it('injects faults, exhausts quotas, revokes tokens and picks over HTTP', async () => {
    const fault = await callApi<{ id: number }>(`${control}/faults`, { method: 'POST', body: { target: 'library', kind: 'server-error', status: 500, count: 2 } });
    assert.equal(fault.status, 200);
    const token = emulator.accessToken();
    assert.equal((await callApi(`${emulator.env().GPHOTOS_LIBRARY_API_URL}/v1/mediaItems`, { token })).status, 500);
    assert.equal((await callApi(`${control}/faults`, { method: 'DELETE' })).status, 200);
    assert.equal((await callApi(`${emulator.env().GPHOTOS_LIBRARY_API_URL}/v1/mediaItems`, { token })).status, 200);
    assert.equal((await callApi(`${control}/faults`, { method: 'POST', body: { kind: 'explode' } })).status, 400);

    const quota = await callApi<{ resetsAt: string }>(`${control}/quota/exhaust`, { method: 'POST', body: { bucket: 'libraryMedia' } });
    assert.ok(Date.parse(quota.body.resetsAt) > Date.now());

    const revoked = await callApi<{ revoked: number }>(`${control}/tokens/revoke`, { method: 'POST', body: {} });
    assert.ok(revoked.body.revoked >= 0);

    const picker = emulator.env().GPHOTOS_PICKER_API_URL;
    const pickerToken = emulator.accessToken(['https://www.googleapis.com/auth/photospicker.mediaitems.readonly']);
    const session = await callApi<{ id: string }>(`${picker}/v1/sessions`, { token: pickerToken, method: 'POST', body: {} });
    assert.equal((await callApi(`${control}/picker/sessions/${session.body.id}/pick`, { method: 'POST', body: { count: 4 } })).status, 200);
    const listed = await callApi<{ mediaItems: unknown[] }>(`${picker}/v1/mediaItems?sessionId=${session.body.id}`, { token: pickerToken });
    assert.equal(listed.body.mediaItems.length, 4);

    const id = emulator.library.items[0]?.id ?? '';
    const expected = await callApi<{ expected: { sha256: string } }>(`${control}/items/${id}`);
    assert.equal(expected.body.expected.sha256, (await emulator.expected(id)).sha256);
  });
});
