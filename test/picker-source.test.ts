// The Picker API as a source, against the emulator (its pick control stands in for the person):
// the client's sessions and listing, with durations parsed and errors classified; descriptors of
// picked items whose fields Google left out; and a downloadBatch over a picked session into a
// disk destination: every item stored byte-exact, with the bearer token, recorded as `picker`.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createDownloadActivity, type DownloadBatchInput, type DownloadBatchResult } from '../src/activities/download-batch.js';
import { BaseUrlCache } from '../src/activities/url-cache.js';
import { openSink, type DestinationSpec } from '../src/destination.js';
import { verifyDestination } from '../src/cli/verify.js';
import { RefreshingAccessTokens } from '../src/google/credentials.js';
import { GooglePhotosError } from '../src/google/errors.js';
import { parseDurationMs, PickerClient, pollingOf } from '../src/google/picker-client.js';
import { SCOPES } from '../src/google/scopes.js';
import type { PickedMediaItem } from '../src/google/types.js';
import { DiskManifest } from '../src/manifest/manifest.js';
import { describePickedItem, PickerSource, resolvedPickedItem } from '../src/sources/picker-source.js';
import type { Emulator } from '../src/emulator/server.js';
import type { BehaviourOverrides } from '../src/emulator/behaviour.js';
import { startEmulator } from './harness/emulator.js';
import { tempDir } from './harness/tmp.js';

const ACCOUNT = 'picker-test';

function signedIn(emulator: Emulator, scopes?: readonly string[]): { client: PickerClient; tokens: RefreshingAccessTokens; sent: () => number } {
  const env = emulator.env();
  const tokens = new RefreshingAccessTokens(emulator.credentials(scopes), { tokenUrl: env.GOOGLE_OAUTH_TOKEN_URL });
  let sent = 0;
  const counted = Object.assign(Object.create(tokens) as RefreshingAccessTokens, {
    token: async () => {
      sent++;
      return tokens.token();
    },
  });
  return { client: new PickerClient({ apiUrl: env.GPHOTOS_PICKER_API_URL, tokens: counted }), tokens: counted, sent: () => sent };
}

async function rejectsAs(promise: Promise<unknown>, kind: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GooglePhotosError, String(error));
    assert.equal(error.kind, kind, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

async function allPicked(client: PickerClient, sessionId: string): Promise<{ items: PickedMediaItem[]; pages: number[] }> {
  const items: PickedMediaItem[] = [];
  const pages: number[] = [];
  let pageToken: string | undefined;
  do {
    const page = await client.listItems(sessionId, 100, pageToken);
    items.push(...(page.mediaItems ?? []));
    pages.push(page.mediaItems?.length ?? 0);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return { items, pages };
}

/** Picker ids equal to the Library's, so that items are found by the emulator's ids. */
async function emulatorWith(behaviour?: BehaviourOverrides): Promise<Emulator> {
  return startEmulator({ preset: 'mixed', behaviour: { pickerItemIds: 'library', ...behaviour } });
}

describe('Picker client', () => {
  it('parses durations like "5s" and "1.5s" into ms, and refuses what is not one', () => {
    assert.equal(parseDurationMs('5s'), 5000);
    assert.equal(parseDurationMs('1.5s'), 1500);
    assert.equal(parseDurationMs('0s'), 0);
    assert.equal(parseDurationMs('86400s'), 86_400_000);
    assert.equal(parseDurationMs(undefined), undefined);
    for (const bad of ['5', '', 'abc', '-5s', '1e3s', ' 5s']) assert.throws(() => parseDurationMs(bad), (e: unknown) => e instanceof GooglePhotosError && e.kind === 'invalid-response', bad);
  });

  it('creates, gets, lists and deletes a session; listing before the person picked is FAILED_PRECONDITION', async () => {
    const emulator = await emulatorWith();
    const { client } = signedIn(emulator);
    const session = await client.createSession(150);
    assert.equal(session.pickingConfig?.maxItemCount, '150');
    assert.equal(session.mediaItemsSet ?? false, false);
    const polling = pollingOf(session);
    assert.equal(polling.pollIntervalMs, 5000);
    assert.ok((polling.timeoutInMs ?? 0) > 0);
    await rejectsAs(client.listItems(session.id), 'failed-precondition', /not finished picking/);

    emulator.pick(session.id, { count: 120 });
    const after = await client.getSession(session.id);
    assert.equal(after.mediaItemsSet, true);
    assert.deepEqual(pollingOf(after), {}, 'no polling config once the items are set');
    const { items, pages } = await allPicked(client, session.id);
    assert.deepEqual(items.map((i) => i.id), emulator.library.items.slice(0, 120).map((i) => i.id));
    assert.ok(pages.every((n) => n <= 100));

    await client.deleteSession(session.id);
    await rejectsAs(client.getSession(session.id), 'not-found');
    await emulator.close();
  });

  it('a sign-in without the Picker scope is told to log in again; too many sessions is a rate limit', async () => {
    const emulator = await emulatorWith({ pickerMaxOpenSessions: 1 });
    await rejectsAs(signedIn(emulator, [SCOPES.libraryReadAppCreated]).client.createSession(), 'insufficient-scope', /auth login/);
    const { client } = signedIn(emulator);
    await client.createSession();
    await rejectsAs(client.createSession(), 'rate-limited');
    await emulator.close();
  });
});

describe('picked items as descriptors', () => {
  it('an item with nothing but its id describes itself without inventing fields; no baseUrl reaches the sidecar', () => {
    assert.deepEqual(describePickedItem({ id: 'x' }), { id: 'x', kind: 'photo' });
    assert.equal(describePickedItem({ id: 'v', mediaFile: { mimeType: 'video/mp4' } }).kind, 'video');
    const resolved = resolvedPickedItem({ id: 'y', type: 'PHOTO', mediaFile: { baseUrl: 'https://lh3.googleusercontent.com/secret', filename: 'a.jpg' } });
    assert.equal(resolved.baseUrl, 'https://lh3.googleusercontent.com/secret');
    assert.ok(!JSON.stringify(resolved.metadata).includes('secret'));
    assert.deepEqual(resolved.metadata, { id: 'y', type: 'PHOTO', mediaFile: { filename: 'a.jpg' } });
  });

  it('the hostile library: nameless, undated, untyped and statusless items keep those fields absent', async () => {
    const emulator = await startEmulator({ preset: 'hostile', behaviour: { pickerItemIds: 'library' } });
    const { client } = signedIn(emulator);
    const session = await client.createSession();
    emulator.pick(session.id, { count: emulator.library.items.length });
    const { items } = await allPicked(client, session.id);
    assert.equal(items.length, emulator.library.items.length);
    const described = (name: string) => {
      const id = emulator.library.items.find((i) => i.filename === name)?.id;
      const item = items.find((i) => i.id === id);
      assert.ok(item, name);
      return describePickedItem(item);
    };
    assert.equal(described('nameless.jpg').filename, undefined);
    assert.equal(described('nameless.mp4').kind, 'video');
    assert.equal(described('undated.jpg').creationTime, undefined);
    assert.equal(described('untyped.heic').mimeType, undefined);
    assert.equal(described('untyped.heic').kind, 'photo');
    assert.deepEqual([described('statusless.mp4').kind, described('statusless.mp4').videoStatus], ['video', 'UNSPECIFIED']);
    assert.equal(described('stuck-processing.mp4').videoStatus, 'PROCESSING');
    const bare = described('bare.jpg');
    assert.deepEqual([bare.filename, bare.mimeType], [undefined, undefined]);
    await emulator.close();
  });
});

describe('downloadBatch over a picked session', () => {
  it('stores every picked item byte-exact with the bearer token, records `picker`, lists each page once per batch', async (t) => {
    const emulator = await emulatorWith();
    const picked = emulator.library.items.filter((i) => !(i.video && i.video.status !== 'READY')).slice(0, 150);
    const { client, tokens, sent } = signedIn(emulator);
    const session = await client.createSession();
    emulator.pick(session.id, { mediaItemIds: picked.map((i) => i.id) });
    // One URL expires before its time: the item is fetched again with a URL from a fresh listing.
    const expiring = picked[120];
    assert.ok(expiring);
    emulator.addFault({ target: 'media', kind: 'expire-url', itemId: expiring.id, count: 1 });

    const dest = join(tempDir('picker-batch'), 'photos');
    const spec: DestinationSpec = { kind: 'disk', path: dest };
    const library = () => Promise.reject(new Error('a Picker batch must not use the Library API'));
    const activity = createDownloadActivity({ library, picker: () => Promise.resolve({ client, tokens }), urls: new BaseUrlCache() });
    const source = new PickerSource(client, session.id);
    const totals = { stored: 0, failed: 0, deferred: 0 };
    const listCalls: number[] = [];
    const expectedCalls: number[] = [];
    let pageToken: string | undefined;
    do {
      const page = await source.listPage(pageToken);
      const before = emulator.counters().requests['picker.mediaItems.list'] ?? 0;
      const input: DownloadBatchInput = {
        account: { account: ACCOUNT },
        destination: spec,
        items: page.items,
        sidecars: true,
        source: { kind: 'picker', sessionId: session.id, ...(pageToken ? { pageToken } : {}) },
      };
      const result: DownloadBatchResult = await new MockActivityEnvironment().run(activity, input);
      listCalls.push((emulator.counters().requests['picker.mediaItems.list'] ?? 0) - before);
      // The page the batch came from, listed once (short and empty pages included), plus once more for the expired URL.
      expectedCalls.push(page.items.length === 0 ? 0 : 1 + (page.items.some((d) => d.id === expiring.id) ? 1 : 0));
      totals.stored += result.stored;
      totals.failed += result.failed.length;
      totals.deferred += result.deferred.length;
      pageToken = page.nextPageToken;
    } while (pageToken);

    assert.deepEqual(totals, { stored: picked.length, failed: 0, deferred: 0 });
    assert.deepEqual(listCalls, expectedCalls, 'one listing per batch, and one more for the expired URL');
    const counters = emulator.counters();
    t.diagnostic(`${totals.stored} stored in ${listCalls.length} batches; list calls per batch ${listCalls.join(',')}; ${counters.requests.media} media requests, ${sent()} tokens sent`);
    assert.equal(counters.mediaByItem[expiring.id], 2);
    // Picker media answer 403 without the bearer token: only the expired URL was refused.
    assert.equal(counters.requests.media, picked.length + 1);
    assert.equal(counters.faulted.media, 1);
    assert.ok(sent() >= picked.length + 1, 'a token was sent with every media request');
    const manifest = await DiskManifest.open(dest);
    for (const item of picked) {
      const entry = manifest.get(item.id);
      assert.ok(entry, item.filename);
      assert.equal(entry.source, 'picker');
      const bytes = readFileSync(join(dest, ...entry.key.split('/')));
      assert.equal(createHash('sha256').update(bytes).digest('hex'), (await emulator.expected(item.id)).sha256, item.filename);
      const sidecar = readFileSync(join(dest, ...`${entry.key}.json`.split('/')), 'utf8');
      assert.ok(!sidecar.includes('baseUrl') && !sidecar.includes('/lr/'), 'no baseUrl in a sidecar');
      assert.equal((JSON.parse(sidecar) as { id: string }).id, item.id);
    }
    assert.deepEqual(readdirSync(join(dest, '.gphotos-backup')).filter((n) => n.startsWith('failures')), []);
    await emulator.close();
  });

  it('an item under a new id is recognised by name, capture time, size and sha256; a lookalike with other bytes is stored beside it', async () => {
    const emulator = await emulatorWith({ pickerItemIds: 'per-session' });
    const photos = emulator.library.items.filter((i) => i.kind === 'photo');
    const [known, other] = [photos.slice(0, 5), photos[5]];
    assert.ok(other);
    const { client, tokens } = signedIn(emulator);
    const dest = join(tempDir('picker-same-item'), 'photos');
    const spec: DestinationSpec = { kind: 'disk', path: dest };
    const activity = createDownloadActivity({ library: () => Promise.reject(new Error('no Library here')), picker: () => Promise.resolve({ client, tokens }), urls: new BaseUrlCache() });
    const pickAndStore = async (items: readonly typeof photos[number][]): Promise<DownloadBatchResult> => {
      const session = await client.createSession();
      emulator.pick(session.id, { mediaItemIds: items.map((i) => i.id) });
      const page = await new PickerSource(client, session.id).listPage(undefined);
      const input: DownloadBatchInput = { account: { account: ACCOUNT }, destination: spec, items: page.items, source: { kind: 'picker', sessionId: session.id } };
      return new MockActivityEnvironment().run(activity, input);
    };
    assert.equal((await pickAndStore(known)).stored, known.length);
    // Another photo of the same name, time and size is already there: a different photo.
    const manifest = await DiskManifest.open(dest);
    const forgedKey = `2000/01/${other.filename}`;
    mkdirSync(join(dest, '2000', '01'), { recursive: true });
    writeFileSync(join(dest, forgedKey), Buffer.alloc(other.size, 7));
    await manifest.record({ id: 'another-photo', key: forgedKey, size: other.size, sha256: createHash('sha256').update(Buffer.alloc(other.size, 7)).digest('hex'), filename: other.filename, creationTime: other.creationTime, source: 'picker', storedAt: new Date().toISOString() });
    await manifest.flush();

    emulator.resetCounters();
    const again = await pickAndStore([...known, other]);
    assert.deepEqual([again.stored, again.skipped, again.failed.length], [1, known.length, 0]);
    const counters = emulator.counters();
    assert.equal(counters.requests.media, known.length + 2, 'each item read once to compare; the lookalike read again to store');
    assert.equal(counters.mediaByItem[other.id], 2);
    await manifest.refresh();
    const sameAs = [...manifest.values()].filter((e) => e.sameAs !== undefined);
    assert.equal(sameAs.length, known.length, 'the known items got sameAs records, pointing at their stored copies');
    for (const entry of sameAs) assert.equal(manifest.get(entry.sameAs ?? '')?.key, entry.key);
    const files = readdirSync(dest, { recursive: true }).filter((f) => typeof f === 'string' && /\.(jpe?g|png|heic|gif|webp)$/i.test(f) && !f.startsWith('.gphotos'));
    assert.equal(files.length, known.length + 2, 'the known photos once, the lookalike and the other photo each once');
    const report = await verifyDestination(openSink(spec), manifest);
    assert.deepEqual([report.checked, report.missing.length, report.corrupt.length], [known.length + 2, 0, 0], 'verify checks stored copies, not sameAs records');
    await emulator.close();
  });
});
