// Emulator conformance: the Picker API session flow, its list limits and its bearer-only media.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { SCOPES } from '../src/google/scopes.js';
import { allPages, callApi, startEmulator } from './harness/emulator.js';

interface Session {
  id: string;
  pickerUri: string;
  mediaItemsSet: boolean;
  pollingConfig?: { pollInterval: string; timeoutIn: string };
  expireTime: string;
  pickingConfig: { maxItemCount: string };
}
interface Picked {
  id: string;
  createTime: string;
  type: string;
  mediaFile: { baseUrl: string; mimeType: string; filename: string; mediaFileMetadata: { width: number; photoMetadata?: object; videoMetadata?: { processingStatus: string } } };
}

describe('emulator: Picker API', async () => {
  // Picker ids equal to the Library's here, so items are found by the emulator's ids (the switch has its own test).
  const emulator = await startEmulator({ preset: 'mixed', behaviour: { pickerItemIds: 'library' } });
  const api = emulator.env().GPHOTOS_PICKER_API_URL;
  const token = emulator.accessToken([SCOPES.pickerReadOnly]);

  async function newSession(body: object = {}): Promise<Session> {
    const answer = await callApi<Session>(`${api}/v1/sessions`, { token, method: 'POST', body });
    assert.equal(answer.status, 200);
    return answer.body;
  }

  it('creates a session that polls in "5s" steps until the person has picked', async () => {
    const session = await newSession();
    assert.equal(session.mediaItemsSet, false);
    assert.equal(session.pollingConfig?.pollInterval, '5s');
    assert.match(session.pollingConfig?.timeoutIn ?? '', /^\d+s$/);
    assert.equal(session.pickingConfig.maxItemCount, '2000');
    assert.ok(Date.parse(session.expireTime) > Date.now());
    const page = await fetch(session.pickerUri);
    assert.equal(page.status, 200);

    const early = await callApi<{ error: { status: string } }>(`${api}/v1/mediaItems?sessionId=${session.id}`, { token });
    assert.equal(early.status, 400);
    assert.equal(early.body.error.status, 'FAILED_PRECONDITION');

    emulator.pick(session.id, { count: 120 });
    const after = await callApi<Session>(`${api}/v1/sessions/${session.id}`, { token });
    assert.equal(after.body.mediaItemsSet, true);
    assert.equal(after.body.pollingConfig, undefined);

    const { ids, pages } = await allPages(async (pageToken) => (await callApi<{ mediaItems?: Picked[]; nextPageToken?: string }>(`${api}/v1/mediaItems?${new URLSearchParams({ sessionId: session.id, ...(pageToken ? { pageToken } : {}) }).toString()}`, { token })).body);
    assert.deepEqual(ids, emulator.library.items.slice(0, 120).map((item) => item.id));
    assert.ok(pages.every((n) => n <= 50), 'unset pageSize gives at most 50');
  });

  it('reaches items the app did not create, and renders PickedMediaItem as the reference does', async () => {
    const hidden = emulator.library.items.filter((item) => !item.appCreated).slice(0, 3);
    const session = await newSession();
    emulator.pick(session.id, { mediaItemIds: hidden.map((item) => item.id) });
    const answer = await callApi<{ mediaItems: Picked[] }>(`${api}/v1/mediaItems?sessionId=${session.id}&pageSize=100`, { token });
    assert.deepEqual(answer.body.mediaItems.map((m) => m.id), hidden.map((item) => item.id));
    const first = answer.body.mediaItems[0];
    assert.ok(first);
    assert.equal(typeof first.mediaFile.mediaFileMetadata.width, 'number');
    assert.ok(['PHOTO', 'VIDEO'].includes(first.type));
    assert.ok((first.mediaFile.mediaFileMetadata.photoMetadata === undefined) !== (first.mediaFile.mediaFileMetadata.videoMetadata === undefined), 'photo and video metadata are a union');
  });

  it('pageSize over 100 is coerced to 100; negative is INVALID_ARGUMENT', async () => {
    const session = await newSession();
    emulator.pick(session.id, { count: 250 });
    const noShort = await callApi<{ mediaItems: Picked[] }>(`${api}/v1/mediaItems?sessionId=${session.id}&pageSize=500`, { token });
    assert.ok(noShort.body.mediaItems.length <= 100);
    assert.equal((await callApi(`${api}/v1/mediaItems?sessionId=${session.id}&pageSize=-5`, { token })).status, 400);
  });

  it('maxItemCount above 2000 is coerced; a pick above the cap is refused', async () => {
    assert.equal((await newSession({ pickingConfig: { maxItemCount: '5000' } })).pickingConfig.maxItemCount, '2000');
    const small = await newSession({ pickingConfig: { maxItemCount: '2' } });
    assert.throws(() => emulator.pick(small.id, { count: 3 }), /At most 2 items/);
  });

  it('media need a bearer token with the picker scope', async () => {
    const session = await newSession();
    const item = emulator.library.items.find((i) => i.kind === 'photo');
    assert.ok(item);
    emulator.pick(session.id, { mediaItemIds: [item.id] });
    const answer = await callApi<{ mediaItems: Picked[] }>(`${api}/v1/mediaItems?sessionId=${session.id}`, { token });
    const url = `${answer.body.mediaItems[0]?.mediaFile.baseUrl ?? ''}=d`;
    assert.equal((await fetch(url)).status, 403);
    assert.equal((await fetch(url, { headers: { authorization: `Bearer ${emulator.accessToken([SCOPES.libraryReadAppCreated])}` } })).status, 403);
    const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
    assert.equal(createHash('sha256').update(Buffer.from(await ok.arrayBuffer())).digest('hex'), (await emulator.expected(item.id)).sha256);
  });

  it('deleted sessions are gone; their URLs keep working or stop per the switch', async () => {
    for (const mode of ['keep-working', 'stop-working'] as const) {
      const own = await startEmulator({ preset: 'mixed', behaviour: { pickerDeletedSessionUrls: mode, pickerItemIds: 'library' } });
      const t = own.accessToken([SCOPES.pickerReadOnly]);
      const base = own.env().GPHOTOS_PICKER_API_URL;
      const session = (await callApi<Session>(`${base}/v1/sessions`, { token: t, method: 'POST', body: {} })).body;
      own.pick(session.id, { count: 1 });
      const listed = await callApi<{ mediaItems: Picked[] }>(`${base}/v1/mediaItems?sessionId=${session.id}`, { token: t });
      assert.equal((await callApi(`${base}/v1/sessions/${session.id}`, { token: t, method: 'DELETE' })).status, 200);
      assert.equal((await callApi(`${base}/v1/sessions/${session.id}`, { token: t })).status, 404);
      const media = await fetch(`${listed.body.mediaItems[0]?.mediaFile.baseUrl ?? ''}=d`, { headers: { authorization: `Bearer ${t}` } });
      assert.equal(media.status, mode === 'keep-working' ? 200 : 403, mode);
    }
  });

  it('too many open sessions → RESOURCE_EXHAUSTED', async () => {
    const own = await startEmulator({ preset: 'mixed', behaviour: { pickerMaxOpenSessions: 2 } });
    const t = own.accessToken([SCOPES.pickerReadOnly]);
    const base = own.env().GPHOTOS_PICKER_API_URL;
    for (let i = 0; i < 2; i++) assert.equal((await callApi(`${base}/v1/sessions`, { token: t, method: 'POST', body: {} })).status, 200);
    const third = await callApi<{ error: { status: string } }>(`${base}/v1/sessions`, { token: t, method: 'POST', body: {} });
    assert.equal(third.status, 429);
    assert.equal(third.body.error.status, 'RESOURCE_EXHAUSTED');
  });

  it('needs the picker scope', async () => {
    const answer = await callApi<{ error: { message: string } }>(`${api}/v1/sessions`, { token: emulator.accessToken([SCOPES.libraryReadAppCreated]), method: 'POST', body: {} });
    assert.equal(answer.status, 403);
    assert.equal(answer.body.error.message, 'Request had insufficient authentication scopes.');
  });

  it('Picker ids follow the pickerItemIds switch: the Library id, one stable id of their own, or a new one every session', async () => {
    const item = emulator.library.items[0];
    assert.ok(item);
    const idsIn = async (mode: 'library' | 'stable' | 'per-session'): Promise<string[]> => {
      emulator.setBehaviour({ pickerItemIds: mode });
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const session = await newSession();
        emulator.pick(session.id, { mediaItemIds: [item.id] });
        const listed = await callApi<{ mediaItems: Picked[] }>(`${api}/v1/mediaItems?sessionId=${session.id}`, { token });
        ids.push(listed.body.mediaItems[0]?.id ?? '');
        assert.equal(ids.at(-1), emulator.pickerIdOf(item.id, session.id));
        await callApi(`${api}/v1/sessions/${session.id}`, { token, method: 'DELETE' });
      }
      return ids;
    };
    try {
      assert.deepEqual(await idsIn('library'), [item.id, item.id]);
      const [stable, stableAgain] = await idsIn('stable');
      assert.ok(stable !== item.id && stable === stableAgain, 'stable: its own id, alike in every session');
      const [first, second] = await idsIn('per-session');
      assert.ok(first !== second && first !== item.id && first !== stable, 'per-session: a new id each time');
    } finally {
      emulator.setBehaviour({ pickerItemIds: 'library' });
    }
  });
});
