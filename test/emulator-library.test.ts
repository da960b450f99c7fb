// Emulator conformance: the Library API's paging, limits, filters, errors and the 2025 rule that
// only app-created items are visible, over real HTTP.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REMOVED_SCOPES, SCOPES } from '../src/google/scopes.js';
import { generateLibrary } from '../src/emulator/library.js';
import { allPages, callApi, startEmulator } from './harness/emulator.js';

interface ListBody {
  mediaItems?: { id: string; filename: string; baseUrl?: string; mediaMetadata: { creationTime: string; width: string; video?: { status: string } } }[];
  nextPageToken?: string;
}
interface ErrorBody {
  error: { code: number; message: string; status: string };
}

describe('emulator: Library API', async () => {
  const emulator = await startEmulator({ preset: 'mixed' });
  const api = emulator.env().GPHOTOS_LIBRARY_API_URL;
  const token = emulator.accessToken();
  const visible = emulator.library.items.filter((item) => item.appCreated);

  it('lists exactly the app-created items; nextPageToken is the only end signal and short and empty pages happen', async () => {
    const { ids, pages } = await allPages(async (pageToken) => {
      const q = new URLSearchParams({ pageSize: '40', ...(pageToken ? { pageToken } : {}) });
      const answer = await callApi<ListBody>(`${api}/v1/mediaItems?${q.toString()}`, { token });
      assert.equal(answer.status, 200);
      return answer.body;
    });
    assert.deepEqual(ids, visible.map((item) => item.id));
    assert.ok(visible.length < emulator.library.items.length, 'the mixed library has items only the Picker can reach');
    assert.ok(pages.slice(0, -1).some((n) => n > 0 && n < 40), `some pages are short: ${pages.join(',')}`);
    assert.ok(pages.slice(0, -1).includes(0), `some page is empty while more remain: ${pages.join(',')}`);
    assert.ok(pages.every((n) => n <= 40));
  });

  it('renders MediaItem as the reference does (int64 width as string, RFC 3339 time, baseUrl, video status)', async () => {
    const answer = await callApi<ListBody>(`${api}/v1/mediaItems?pageSize=100`, { token });
    const item = answer.body.mediaItems?.[0];
    assert.ok(item);
    assert.equal(typeof item.mediaMetadata.width, 'string');
    assert.match(item.mediaMetadata.creationTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.match(item.baseUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+\/lr\//);
    const video = answer.body.mediaItems?.find((i) => i.mediaMetadata.video);
    assert.ok(video?.mediaMetadata.video?.status);
  });

  it('defaults pageSize to 25 and rejects negative sizes and foreign page tokens', async () => {
    const noShort = await startEmulator({ preset: 'mixed', behaviour: { shortPages: false } });
    const t = noShort.accessToken();
    const base = noShort.env().GPHOTOS_LIBRARY_API_URL;
    const first = await callApi<ListBody>(`${base}/v1/mediaItems`, { token: t });
    assert.equal(first.body.mediaItems?.length, 25);
    const negative = await callApi<ErrorBody>(`${base}/v1/mediaItems?pageSize=-1`, { token: t });
    assert.equal(negative.status, 400);
    assert.equal(negative.body.error.status, 'INVALID_ARGUMENT');
    const foreign = await callApi<ErrorBody>(`${base}/v1/mediaItems?pageToken=bm90LWEtdG9rZW4`, { token: t });
    assert.equal(foreign.status, 400);
  });

  it('treats pageSize over 100 per the switch: coerced to 100, or INVALID_ARGUMENT', async () => {
    const coerce = await startEmulator({ preset: 'mixed', behaviour: { shortPages: false, libraryPageSizeOverMax: 'coerce' } });
    const coerced = await callApi<ListBody>(`${coerce.env().GPHOTOS_LIBRARY_API_URL}/v1/mediaItems?pageSize=500`, { token: coerce.accessToken() });
    assert.equal(coerced.body.mediaItems?.length, 100);
    const reject = await startEmulator({ preset: 'mixed', behaviour: { libraryPageSizeOverMax: 'reject' } });
    const rejected = await callApi<ErrorBody>(`${reject.env().GPHOTOS_LIBRARY_API_URL}/v1/mediaItems?pageSize=101`, { token: reject.accessToken() });
    assert.equal(rejected.status, 400);
    assert.equal(rejected.body.error.status, 'INVALID_ARGUMENT');
  });

  it('batchGet: at most 50 ids, not empty, no duplicates, per-item status for unknown ids, request order kept', async () => {
    const ids = visible.slice(0, 3).map((item) => item.id);
    const hidden = emulator.library.items.find((item) => !item.appCreated);
    assert.ok(hidden);
    const q = new URLSearchParams();
    for (const id of [ids[2], 'AGj1unknown', ids[0], hidden.id]) q.append('mediaItemIds', id ?? '');
    const answer = await callApi<{ mediaItemResults: { mediaItem?: { id: string }; status?: { code: number } }[] }>(`${api}/v1/mediaItems:batchGet?${q.toString()}`, { token });
    assert.equal(answer.status, 200);
    const results = answer.body.mediaItemResults;
    assert.equal(results[0]?.mediaItem?.id, ids[2]);
    assert.equal(results[1]?.status?.code, 5);
    assert.equal(results[2]?.mediaItem?.id, ids[0]);
    assert.equal(results[3]?.status?.code, 5, 'items this app did not create are not returned');

    const many = new URLSearchParams();
    for (const item of visible.slice(0, 51)) many.append('mediaItemIds', item.id);
    assert.equal((await callApi(`${api}/v1/mediaItems:batchGet?${many.toString()}`, { token })).status, 400);
    const fifty = new URLSearchParams();
    for (const item of visible.slice(0, 50)) fifty.append('mediaItemIds', item.id);
    assert.equal((await callApi(`${api}/v1/mediaItems:batchGet?${fifty.toString()}`, { token })).status, 200);
    assert.equal((await callApi(`${api}/v1/mediaItems:batchGet`, { token })).status, 400);
    const dup = new URLSearchParams([['mediaItemIds', ids[0] ?? ''], ['mediaItemIds', ids[0] ?? '']]);
    assert.equal((await callApi(`${api}/v1/mediaItems:batchGet?${dup.toString()}`, { token })).status, 400);
  });

  it('get: 404 NOT_FOUND with Google\'s body for unknown and not-app-created items', async () => {
    const hidden = emulator.library.items.find((item) => !item.appCreated);
    for (const id of ['AGj1unknown', hidden?.id ?? '']) {
      const answer = await callApi<ErrorBody>(`${api}/v1/mediaItems/${id}`, { token });
      assert.equal(answer.status, 404);
      assert.deepEqual(answer.body, { error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' } });
    }
    const found = await callApi<{ id: string }>(`${api}/v1/mediaItems/${visible[0]?.id ?? ''}`, { token });
    assert.equal(found.body.id, visible[0]?.id);
  });

  it('search: media type and date filters, archived and future items excluded, albumId with filters rejected', async () => {
    const videos = await allPages(async (pageToken) => (await callApi<ListBody>(`${api}/v1/mediaItems:search`, { token, method: 'POST', body: { pageSize: 100, pageToken, filters: { mediaTypeFilter: { mediaTypes: ['VIDEO'] } } } })).body);
    const expectedVideos = visible.filter((item) => item.kind === 'video' && !item.archived);
    assert.deepEqual(new Set(videos.ids), new Set(expectedVideos.map((item) => item.id)));

    const range = { startDate: { year: 2019, month: 1, day: 1 }, endDate: { year: 2019, month: 12, day: 31 } };
    const in2019 = await allPages(async (pageToken) => (await callApi<ListBody>(`${api}/v1/mediaItems:search`, { token, method: 'POST', body: { pageSize: 100, pageToken, filters: { dateFilter: { ranges: [range] }, includeArchivedMedia: true } } })).body);
    assert.deepEqual(new Set(in2019.ids), new Set(visible.filter((item) => item.creationTime.startsWith('2019')).map((item) => item.id)));

    const album = emulator.library.albums.find((a) => a.appCreated);
    const both = await callApi<ErrorBody>(`${api}/v1/mediaItems:search`, { token, method: 'POST', body: { albumId: album?.id, filters: { mediaTypeFilter: { mediaTypes: ['PHOTO'] } } } });
    assert.equal(both.status, 400);
    const twoTypes = await callApi<ErrorBody>(`${api}/v1/mediaItems:search`, { token, method: 'POST', body: { filters: { mediaTypeFilter: { mediaTypes: ['PHOTO', 'VIDEO'] } } } });
    assert.equal(twoTypes.status, 400);

    const hostile = await startEmulator({ preset: 'hostile' });
    const all = await allPages(async (pageToken) => (await callApi<ListBody>(`${hostile.env().GPHOTOS_LIBRARY_API_URL}/v1/mediaItems:search`, { token: hostile.accessToken(), method: 'POST', body: { pageSize: 100, pageToken, filters: { includeArchivedMedia: true } } })).body);
    const future = hostile.library.items.find((item) => item.filename === 'future.jpg');
    assert.ok(future && !all.ids.includes(future.id), 'items dated in the future do not appear in filtered searches');
    const unfiltered = await allPages(async (pageToken) => (await callApi<ListBody>(`${hostile.env().GPHOTOS_LIBRARY_API_URL}/v1/mediaItems:search`, { token: hostile.accessToken(), method: 'POST', body: { pageSize: 100, pageToken } })).body);
    assert.ok(unfiltered.ids.includes(future.id));
  });

  it('albums: only app-created ones, pageSize up to 50', async () => {
    const answer = await callApi<{ albums: { id: string; title: string; mediaItemsCount: string }[] }>(`${api}/v1/albums`, { token });
    assert.deepEqual(answer.body.albums.map((a) => a.title), emulator.library.albums.filter((a) => a.appCreated).map((a) => a.title));
    assert.equal((await callApi(`${api}/v1/albums?pageSize=51`, { token })).status, 400);
  });

  it('401 with Google\'s body without a token, with an unknown one and with an expired one', async () => {
    for (const t of [undefined, 'ya29.not-issued']) {
      const answer = await callApi<ErrorBody>(`${api}/v1/mediaItems`, t ? { token: t } : {});
      assert.equal(answer.status, 401);
      assert.equal(answer.body.error.status, 'UNAUTHENTICATED');
      assert.match(answer.body.error.message, /^Request had invalid authentication credentials/);
    }
    const own = await startEmulator({ preset: 'mixed' });
    const shortLived = own.accessToken();
    own.advanceClock(3600 * 1000);
    const expired = await callApi<ErrorBody>(`${own.env().GPHOTOS_LIBRARY_API_URL}/v1/mediaItems`, { token: shortLived });
    assert.equal(expired.status, 401);
  });

  it('403 insufficient authentication scopes for tokens with only the removed scopes, or only the Picker scope', async () => {
    for (const scopes of [REMOVED_SCOPES, [SCOPES.pickerReadOnly]]) {
      const answer = await callApi<ErrorBody>(`${api}/v1/mediaItems`, { token: emulator.accessToken(scopes) });
      assert.equal(answer.status, 403);
      assert.deepEqual(answer.body, { error: { code: 403, message: 'Request had insufficient authentication scopes.', status: 'PERMISSION_DENIED' } });
    }
  });

  it('lists nothing (an empty object) when the app created nothing', async () => {
    const none = await startEmulator({ preset: 'not-app-created' });
    const answer = await callApi(`${none.env().GPHOTOS_LIBRARY_API_URL}/v1/mediaItems`, { token: none.accessToken() });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, {});
  });
});

describe('emulator: synthetic libraries', () => {
  it('are deterministic per preset and seed', () => {
    const a = generateLibrary({ preset: 'mixed' });
    const b = generateLibrary({ preset: 'mixed' });
    const c = generateLibrary({ preset: 'mixed', seed: 'other' });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.items.map((i) => i.id), c.items.map((i) => i.id));
  });

  it('the hostile preset has every kind of trouble', () => {
    const lib = generateLibrary({ preset: 'hostile' });
    const names = lib.items.map((item) => item.filename);
    for (const name of ['../../../../etc/passwd', '', 'CON', 'Cafe\u0301 au lait.jpg', '📸 sunset 🌅.jpg', 'bell\u0007tab\tnewline\n.jpg']) assert.ok(names.includes(name), name);
    assert.ok(names.some((name) => Buffer.byteLength(name) > 255));
    assert.ok(names.filter((name) => name === 'IMG_0001.JPG').length >= 40);
    assert.ok(lib.items.some((item) => item.creationTime === '1970-01-01T00:00:00Z'));
    assert.ok(lib.items.some((item) => item.creationTime.startsWith('2099')));
    assert.ok(lib.items.filter((item) => item.video?.status === 'PROCESSING').length >= 2);
    assert.ok(lib.items.some((item) => item.video?.status === 'FAILED'));
  });

  it('large and bigvideo presets honour their sizes', () => {
    assert.equal(generateLibrary({ preset: 'large', items: 2000 }).items.length, 2000);
    const big = generateLibrary({ preset: 'bigvideo', videoSize: 5 * 1024 ** 3 });
    assert.equal(big.items[0]?.size, 5 * 1024 ** 3);
  });
});
