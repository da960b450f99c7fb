// `gphotos-backup pick` end to end (real dev server, a worker process, the emulator's pick
// control standing in for the person): nothing is downloaded before the person picks, the
// workflow polls on timers (a bounded number of history events a poll), 500 items of the hostile
// library are stored byte-exact with their names and mtimes, and the session is deleted. Items
// picked again, or stored by `backup` before, are not stored twice, whatever ids Google gives
// (emulator switch `pickerItemIds`). Sessions that expire or end with nothing picked end with
// exit code 3; rounds open one session after another; a missing scope or a revoked sign-in
// fails at once with exit 1 and tells the person to sign in again.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { EmulatedItem } from '../src/emulator/library.js';
import { SCOPES } from '../src/google/scopes.js';
import { DiskManifest } from '../src/manifest/manifest.js';
import { captureTimeMs } from '../src/sinks/layout.js';
import { pickProgressQuery, type PickSummary } from '../src/workflows/pick-messages.js';
import { runCli } from './harness/cli.js';
import { walk } from './harness/files.js';
import { fetchHistoryText } from './harness/history.js';
import { ACCOUNT, startStack, type Stack } from './harness/stack.js';
import { tempDir } from './harness/tmp.js';
import { until } from './harness/wait.js';

const POLL_MS = 300;
/** Events of one poll: timer started and fired, the activity's three, and two workflow tasks' three each. */
const EVENTS_PER_POLL = 11;
const ITEMS = 500;

interface StartedPick {
  readonly workflowId: string;
  readonly pickerUri: string;
  readonly sessionId: string;
  readonly handle: WorkflowHandle;
}

const dataFiles = (dest: string): string[] => walk(dest).map((path) => relative(dest, path)).filter((f) => !f.startsWith('.gphotos-backup') && !f.endsWith('.json'));

describe('CLI: pick', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ preset: 'hostile', items: ITEMS, processingReadyAfterMs: 0 });
    stack.emulator.setBehaviour({ pickerPollIntervalMs: POLL_MS });
    await stack.spawnWorker();
  });
  after(() => stack?.close());

  async function startPick(dest: string, extra: readonly string[] = []): Promise<StartedPick> {
    const started = await runCli(['pick', '--dest', dest, '--account', ACCOUNT, '--processing-wait', '0', '--json', ...extra], stack.env());
    assert.equal(started.code, 0, started.stderr);
    const { workflowId, pickerUri } = JSON.parse(started.stdout) as { workflowId: string; pickerUri: string };
    return { workflowId, pickerUri, sessionId: pickerUri.split('/').at(-1) ?? '', handle: stack.client.workflow.getHandle(workflowId) };
  }

  /** Picks these items in a new pick into `dest` and gives the summary. */
  async function pickItems(dest: string, items: readonly EmulatedItem[]): Promise<PickSummary> {
    const { sessionId, handle } = await startPick(dest);
    stack.emulator.pick(sessionId, { mediaItemIds: items.map((item) => item.id) });
    return (await handle.result()) as PickSummary;
  }

  const named = (item: EmulatedItem) => item.filename !== '' && !item.omit?.includes('filename');
  // A Picker item's createTime sits outside its file metadata: only its own omission leaves it undated.
  const dated = (item: EmulatedItem) => captureTimeMs(item.omit?.includes('creationTime') ? undefined : item.creationTime);

  it('waits for the person on timers, then stores 500 hostile items byte-exact with their names and mtimes, and deletes the session', async (t) => {
    stack.emulator.resetCounters();
    const dest = join(tempDir('pick'), 'photos');
    const { workflowId, pickerUri, sessionId, handle } = await startPick(dest);
    assert.match(workflowId, /^pick\/tester\/[0-9a-f]{12}$/);
    assert.ok(stack.emulator.pickerSessions().some((s) => s.id === sessionId), "the link is the emulator session's");
    assert.equal((await handle.describe()).memo?.pickerUri, pickerUri);

    await until(async () => (await handle.query(pickProgressQuery)).polls >= 3, 30_000, 'three polls');
    assert.equal(stack.emulator.counters().requests.media ?? 0, 0, 'nothing downloaded before the pick');
    const waiting = await runCli(['status', workflowId], stack.env());
    assert.equal(waiting.code, 0, waiting.stderr);
    assert.match(waiting.stdout, /waiting-for-pick/);
    assert.ok(waiting.stdout.includes(`pick the photos to back up: ${pickerUri}`), `status shows the link: ${waiting.stdout}`);
    const refused = await runCli(['pause', workflowId], stack.env());
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is a pick; it cannot be paused/);
    stack.emulator.pick(sessionId, { count: ITEMS });
    const summary = (await handle.result()) as PickSummary;
    t.diagnostic(`${summary.polls} polls; ${summary.listed} picked, ${summary.stored} stored, ${summary.failed} failed, ${summary.stillProcessing} still processing`);

    const lib = stack.emulator.library.items;
    const failedVideos = lib.filter((item) => item.video?.status === 'FAILED');
    const stuck = lib.filter((item) => item.video?.status === 'PROCESSING' && item.video.readyAfterMs === undefined);
    const expected = lib.filter((item) => !failedVideos.includes(item) && !stuck.includes(item));
    assert.equal(summary.outcome, 'picked');
    assert.deepEqual([summary.listed, summary.stored, summary.failed, summary.stillProcessing], [ITEMS, expected.length, failedVideos.length, stuck.length]);

    const manifest = await DiskManifest.open(dest);
    const keys = new Set<string>();
    for (const item of expected) {
      const entry = manifest.get(stack.emulator.pickerIdOf(item.id, sessionId));
      assert.ok(entry, `${JSON.stringify(item.filename)} is in the manifest`);
      assert.equal(entry.source, 'picker');
      assert.ok(!keys.has(entry.key), `key ${entry.key} used once`);
      keys.add(entry.key);
      const path = join(dest, ...entry.key.split('/'));
      assert.equal(createHash('sha256').update(readFileSync(path)).digest('hex'), (await stack.emulator.expected(item.id)).sha256, `bytes of ${entry.key}`);
      const captured = dated(item);
      if (captured === undefined) assert.match(entry.key, /^unknown-date\//);
      else assert.equal(Math.floor(statSync(path).mtimeMs / 1000), Math.floor(captured / 1000), `mtime of ${entry.key}`);
      if (named(item)) assert.equal(entry.filename, item.filename);
      else assert.match(entry.key.split('/').pop() ?? '', /^item-[0-9a-f]{12}(\.[a-z0-9]+)?$/, `a nameless item is named from its id (${entry.key})`);
    }
    assert.deepEqual(new Set(dataFiles(dest)), keys, 'exactly the picked items, nothing else');
    assert.equal(stack.emulator.pickerSessions().find((s) => s.id === sessionId)?.deleted, true, 'session deleted');
    const done = await runCli(['status', workflowId], stack.env());
    assert.equal(done.code, 1, 'status exits 1: some items failed');
    assert.match(done.stdout, new RegExp(`Pick done: ${ITEMS} picked, ${expected.length} stored`));

    const events = (await handle.fetchHistory()).events ?? [];
    const firstList = events.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'listPickerPage');
    const polls = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'getPickerSession').length;
    const timers = events.filter((e) => e.timerStartedEventAttributes).length;
    assert.equal(polls, summary.polls);
    assert.ok(timers >= polls, 'a durable timer before every poll');
    t.diagnostic(`${firstList} events before listing for ${polls} polls`);
    // Room for the start and for a workflow task retried under load (3 events each).
    assert.ok(firstList <= polls * EVENTS_PER_POLL + 24, `history bounded: ${firstList} events for ${polls} polls`);
    const history = await fetchHistoryText(stack.client, workflowId);
    for (const secret of stack.emulator.issuedTokens()) assert.ok(!history.includes(secret), 'no token in history');
    assert.ok(!history.includes('/lr/'), 'no baseUrl in history');
  });

  it('items picked again in a second session are not downloaded again (ids stable across sessions)', async () => {
    const dest = join(tempDir('pick-again'), 'photos');
    const items = stack.emulator.library.items.filter((item) => !item.video).slice(0, 40);
    const first = await pickItems(dest, items);
    assert.equal(first.stored, items.length);
    stack.emulator.resetCounters();
    const again = await pickItems(dest, items);
    assert.deepEqual([again.stored, again.skipped, again.failed], [0, items.length, 0]);
    assert.equal(stack.emulator.counters().requests.media ?? 0, 0, 'no media requests');
    assert.equal(dataFiles(dest).length, items.length);
  });

  it('items stored by `backup` are not stored again by `pick`, whether Picker ids are the Library ids or new in every session', async (t) => {
    const dest = join(tempDir('backup-then-pick'), 'photos');
    const backup = await runCli(['backup', '--dest', dest, '--account', ACCOUNT, '--processing-wait', '0', '--wait'], stack.env(), 180_000);
    assert.ok(backup.code === 0 || backup.code === 1, backup.stderr);
    const files = dataFiles(dest).length;
    const items = stack.emulator.library.items.filter((item) => !item.video).slice(0, 60);
    try {
      stack.emulator.setBehaviour({ pickerItemIds: 'library' });
      stack.emulator.resetCounters();
      const sameIds = await pickItems(dest, items);
      assert.deepEqual([sameIds.stored, sameIds.skipped], [0, items.length]);
      assert.equal(stack.emulator.counters().requests.media ?? 0, 0, 'Library ids: nothing downloaded');

      stack.emulator.setBehaviour({ pickerItemIds: 'per-session' });
      stack.emulator.resetCounters();
      const newIds = await pickItems(dest, items);
      const media = stack.emulator.counters().requests.media ?? 0;
      t.diagnostic(`new ids every session: ${media} media requests to recognise ${items.length} items`);
      assert.deepEqual([newIds.stored, newIds.skipped, newIds.failed], [0, items.length, 0]);
      assert.ok(media <= items.length, 'each item read once at most, to compare its sha256');
      stack.emulator.resetCounters();
      const known = await pickItems(dest, items.slice(0, 10));
      assert.equal(known.stored, 0);
    } finally {
      stack.emulator.setBehaviour({ pickerItemIds: 'stable' });
    }
    assert.equal(dataFiles(dest).length, files, 'no item stored twice');
  });

  it('with --sessions 2 the second session opens when the first is done; both are deleted', async () => {
    const dest = join(tempDir('pick-rounds'), 'photos');
    const photos = stack.emulator.library.items.filter((item) => !item.video);
    const { sessionId, handle } = await startPick(dest, ['--sessions', '2']);
    stack.emulator.pick(sessionId, { mediaItemIds: photos.slice(0, 30).map((item) => item.id) });
    await until(async () => {
      const p = await handle.query(pickProgressQuery).catch(() => undefined);
      return p?.round === 2 && p.sessionId !== undefined && p.sessionId !== sessionId;
    }, 60_000, 'the second round opens a new session');
    const second = (await handle.query(pickProgressQuery)).sessionId ?? '';
    stack.emulator.pick(second, { mediaItemIds: photos.slice(20, 50).map((item) => item.id) });
    const summary = (await handle.result()) as PickSummary;
    assert.deepEqual([summary.outcome, summary.roundsPicked, summary.listed, summary.stored, summary.skipped], ['picked', 2, 60, 50, 10]);
    for (const id of [sessionId, second]) assert.equal(stack.emulator.pickerSessions().find((s) => s.id === id)?.deleted, true);
    assert.equal(dataFiles(dest).length, 50);
  });

  it('a session that expires unpicked, or ends with nothing picked, ends with exit 3, no downloads, the session closed', async () => {
    stack.emulator.resetCounters();
    stack.emulator.setBehaviour({ pickerSessionTtlMs: 2000 });
    const dest = join(tempDir('pick-expired'), 'photos');
    const result = await runCli(['pick', '--dest', dest, '--account', ACCOUNT, '--wait', '--json'], stack.env());
    const text = await runCli(['pick', '--dest', join(tempDir('pick-expired-text'), 'photos'), '--account', ACCOUNT, '--wait', '--qr'], stack.env());
    stack.emulator.setBehaviour({ pickerSessionTtlMs: 7 * 24 * 3600 * 1000 });
    assert.equal(text.code, 3, text.stderr);
    assert.match(text.stdout, /Open this link and pick the photos to back up: http/);
    assert.match(text.stdout, /[▀▄█]{10}/, 'a QR code of the link');
    assert.match(text.stdout, /expired before anything was picked.*Run `gphotos-backup pick` again/);
    assert.equal(result.code, 3, result.stderr);
    const { summary } = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { summary: PickSummary };
    assert.deepEqual([summary.outcome, summary.stored], ['expired', 0]);
    const counters = stack.emulator.counters().requests;
    assert.equal(counters.media ?? 0, 0, 'no downloads');
    assert.equal(counters['picker.mediaItems.list'] ?? 0, 0, 'nothing listed');
    assert.ok((counters['picker.sessions.delete'] ?? 0) >= 1, 'the session was deleted (or found gone)');

    const { sessionId, handle } = await startPick(join(tempDir('pick-nothing'), 'photos'));
    stack.emulator.pick(sessionId, { mediaItemIds: [] });
    const nothing = (await handle.result()) as PickSummary;
    assert.equal(nothing.outcome, 'nothing-picked');
    const status = await runCli(['status', handle.workflowId], stack.env());
    assert.equal(status.code, 3);
    assert.match(status.stdout, /Nothing was picked/);
  });

  it('a sign-in without the Picker scope, and a revoked one, fail at once with exit 1 and say to sign in again', async () => {
    await stack.store.save('no-picker', stack.emulator.credentials([SCOPES.libraryReadAppCreated]));
    const revoked = stack.emulator.credentials();
    await stack.store.save('revoked', revoked);
    stack.emulator.revoke(revoked.refresh_token);
    for (const account of ['no-picker', 'revoked']) {
      const result = await runCli(['pick', '--dest', join(tempDir(`pick-${account}`), 'photos'), '--account', account, '--wait'], stack.env(), 60_000);
      assert.equal(result.code, 1, `${account}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, /auth login/, `${account}: ${result.stderr}`);
    }
  });
});
