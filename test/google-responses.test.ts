// Every Google response is checked at the edge: fields Google omits are optional, and an answer
// that is not what the API documents is a clear, non-retryable error naming the call. Items
// without a name or a date get a stable name and the documented folder. A bug is not an I/O error.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { toActivityFailure } from '../src/activities/failures.js';
import type { Emulator } from '../src/emulator/server.js';
import { RefreshingAccessTokens } from '../src/google/credentials.js';
import { GooglePhotosError } from '../src/google/errors.js';
import { LibraryClient } from '../src/google/library-client.js';
import { listMediaItemsSchema, listPickedMediaItemsSchema, mediaItemSchema, parseResponse, pickingSessionSchema, type MediaItem } from '../src/google/schemas.js';
import { SCOPES } from '../src/google/scopes.js';
import { candidateKeys, dateFolder } from '../src/sinks/layout.js';
import { describeMediaItem } from '../src/sources/library-source.js';
import { startEmulator } from './harness/emulator.js';

function libraryClient(emulator: Emulator): LibraryClient {
  const env = emulator.env();
  return new LibraryClient({ apiUrl: env.GPHOTOS_LIBRARY_API_URL, tokens: new RefreshingAccessTokens(emulator.credentials(), { tokenUrl: env.GOOGLE_OAUTH_TOKEN_URL }) });
}

async function invalidResponse(promise: Promise<unknown>, operation: string): Promise<string> {
  const error = await promise.then(
    () => assert.fail('expected the call to fail'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof GooglePhotosError, String(error));
  assert.equal(error.kind, 'invalid-response', error.message);
  assert.equal(error.retryable, false);
  assert.ok(error.message.startsWith(`${operation}:`), `names the call: ${error.message}`);
  return error.message;
}

describe('Google responses at the edge', () => {
  it('an item with nothing but its id is valid, and describes itself without inventing fields', () => {
    const item = parseResponse('mediaItems.get', mediaItemSchema, '{"id":"abc","mediaMetadata":{"video":{}}}');
    const descriptor = describeMediaItem(item);
    assert.deepEqual(descriptor, { id: 'abc', kind: 'video', videoStatus: 'UNSPECIFIED' });
    const bare = describeMediaItem(parseResponse('mediaItems.get', mediaItemSchema, '{"id":"xyz"}'));
    assert.deepEqual(bare, { id: 'xyz', kind: 'photo' });
  });

  it('keeps fields it does not know (for the sidecar) and takes unknown enum values as unspecified', () => {
    const item = parseResponse('mediaItems.get', mediaItemSchema, '{"id":"a","futureField":{"x":1},"mediaMetadata":{"video":{"status":"ARCHIVED_SOMEWHERE"}}}');
    assert.deepEqual((item as Record<string, unknown>).futureField, { x: 1 });
    assert.equal(describeMediaItem(item).videoStatus, 'UNSPECIFIED');
  });

  it('HTML with 200, wrong types and items without an id are invalid responses naming the call', async () => {
    await invalidResponse(Promise.resolve().then(() => parseResponse('mediaItems.list', listMediaItemsSchema, '<!DOCTYPE html><html></html>', 'text/html; charset=UTF-8')), 'mediaItems.list');
    const wrongType = await invalidResponse(Promise.resolve().then(() => parseResponse('mediaItems.list', listMediaItemsSchema, '{"mediaItems":[{"id":"a","filename":7}]}')), 'mediaItems.list');
    assert.match(wrongType, /mediaItems\.0\.filename/);
    await invalidResponse(Promise.resolve().then(() => parseResponse('mediaItems.list', listMediaItemsSchema, '{"mediaItems":[{"filename":"a.jpg"}]}')), 'mediaItems.list');
    await invalidResponse(Promise.resolve().then(() => parseResponse('mediaItems.list', listMediaItemsSchema, '{"mediaItems":"none"}')), 'mediaItems.list');
  });

  it('the emulator leaves empty fields out, and the client reads such items', async () => {
    const emulator = await startEmulator({ preset: 'hostile' });
    const client = libraryClient(emulator);
    const items: MediaItem[] = [];
    let pageToken: string | undefined;
    do {
      const page = await client.list(100, pageToken);
      items.push(...(page.mediaItems ?? []));
      pageToken = page.nextPageToken;
    } while (pageToken);
    const byName = (name: string) => emulator.library.items.find((i) => i.filename === name);
    const wire = (name: string) => items.find((i) => i.id === byName(name)?.id);
    assert.equal(wire('nameless.jpg')?.filename, undefined);
    assert.equal(wire('')?.filename, undefined, 'an empty name is omitted, as proto3 JSON does');
    assert.equal(wire('undated.jpg')?.mediaMetadata?.creationTime, undefined);
    assert.equal(wire('bare.jpg')?.mediaMetadata, undefined);
    assert.equal(wire('statusless.mp4')?.mediaMetadata?.video?.status, undefined);
    assert.equal(wire('untyped.heic')?.mimeType, undefined);
  });

  it('Picker sessions and picked items, with the fields Google leaves out, pass the Picker schemas', async () => {
    const emulator = await startEmulator({ preset: 'hostile' });
    const api = emulator.env().GPHOTOS_PICKER_API_URL;
    const auth = { authorization: `Bearer ${emulator.accessToken([SCOPES.pickerReadOnly])}` };
    const created = await fetch(`${api}/v1/sessions`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
    const session = parseResponse('sessions.create', pickingSessionSchema, await created.text());
    assert.equal(session.mediaItemsSet ?? false, false);
    emulator.pick(session.id, { count: emulator.library.items.length });
    const picked = [];
    let pageToken: string | undefined;
    do {
      const query = new URLSearchParams({ sessionId: session.id, pageSize: '100', ...(pageToken ? { pageToken } : {}) });
      const page = parseResponse('mediaItems.list', listPickedMediaItemsSchema, await (await fetch(`${api}/v1/mediaItems?${query.toString()}`, { headers: auth })).text());
      picked.push(...(page.mediaItems ?? []));
      pageToken = page.nextPageToken;
    } while (pageToken);
    assert.equal(picked.length, emulator.library.items.length);
    const nameless = emulator.library.items.find((i) => i.filename === 'nameless.jpg');
    assert.equal(picked.find((p) => p.id === nameless?.id)?.mediaFile?.filename, undefined);
    const undated = emulator.library.items.find((i) => i.filename === 'undated.jpg');
    assert.equal(picked.find((p) => p.id === undated?.id)?.createTime, undefined);
  });

  it('malformed answers from the API (HTML, wrong types, batchGet ids not asked for) fail clearly', async () => {
    const emulator = await startEmulator({ preset: 'mixed', items: 20 });
    const client = libraryClient(emulator);
    emulator.addFault({ target: 'library', kind: 'malformed', operation: 'library.list', variant: 'html' });
    assert.match(await invalidResponse(client.list(10), 'mediaItems.list'), /not JSON \(text\/html\)/);
    emulator.addFault({ target: 'library', kind: 'malformed', operation: 'library.list', variant: 'wrong-type' });
    await invalidResponse(client.list(10), 'mediaItems.list');
    const ids = ((await client.list(3)).mediaItems ?? []).map((i) => i.id);
    emulator.addFault({ target: 'library', kind: 'malformed', operation: 'library.batchGet', variant: 'wrong-id' });
    assert.match(await invalidResponse(client.batchGet(ids), 'mediaItems.batchGet'), /not the .* asked for/);
    assert.equal(((await client.batchGet(ids)).mediaItemResults ?? []).length, 3, 'the next answer is fine again');
  });
});

describe('names and folders of items without a name or a date', () => {
  it('a nameless item gets a stable name from its id and MIME type', () => {
    const first = candidateKeys({ id: 'AGj1abc', mimeType: 'image/jpeg', creationTime: '2024-05-01T10:00:00Z' });
    const again = candidateKeys({ id: 'AGj1abc', mimeType: 'image/jpeg', creationTime: '2024-05-01T10:00:00Z' });
    assert.deepEqual(first, again);
    assert.match(first[0] ?? '', /^2024\/05\/item-[0-9a-f]{12}\.jpg$/);
    assert.match(candidateKeys({ id: 'AGj1abc' })[0] ?? '', /^unknown-date\/item-[0-9a-f]{12}$/);
    assert.notEqual(candidateKeys({ id: 'other', mimeType: 'image/jpeg' })[0], candidateKeys({ id: 'AGj1abc', mimeType: 'image/jpeg' })[0]);
  });

  it('no date, an unreadable one and the bare epoch go to unknown-date, never 1970/01', () => {
    for (const value of [undefined, '', 'not a date', '1970-01-01T00:00:00Z', '+012345-01-01T00:00:00Z']) assert.equal(dateFolder(value), 'unknown-date', String(value));
    assert.equal(dateFolder('1969-12-31T00:00:00Z'), '1969/12');
    assert.equal(dateFolder('2024-02-29T23:59:59Z'), '2024/02');
  });
});

describe('errors become Temporal failures by what they are', () => {
  it('a bug fails at once as a bug; I/O errors stay retryable; destination errors do not', async () => {
    const bug = toActivityFailure(new TypeError("Cannot read properties of undefined (reading 'normalize')"));
    assert.ok(bug instanceof ApplicationFailure);
    assert.equal(bug.type, 'bug');
    assert.equal(bug.nonRetryable, true);
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    assert.equal(toActivityFailure(reset), reset, 'a network error is left to Temporal to retry');
    const { DestinationError } = await import('../src/sinks/errors.js');
    const full = toActivityFailure(new DestinationError('full', '/x: the disk is full'));
    assert.ok(full instanceof ApplicationFailure);
    assert.equal(full.type, 'destination');
    assert.equal(full.nonRetryable, true);
    const invalid = toActivityFailure(new GooglePhotosError('invalid-response', 'mediaItems.list: not JSON'));
    assert.ok(invalid instanceof ApplicationFailure);
    assert.equal(invalid.nonRetryable, true);
  });
});
