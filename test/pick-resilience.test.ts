// `gphotos-backup pick` survives what happens to it between the link and the last byte: baseUrls
// that expire while a batch is still downloading (fresh ones come from listing the session again),
// workers killed with SIGKILL mid-batch, and the Temporal server restarted while the workflow
// waits for the person. Every picked item ends up stored once, byte-exact, with its capture time
// as mtime, and the Picker session is deleted. The history holds no token and no baseUrl, and the
// pickerUri only where it is documented (the createPickerSession result and the memo).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { startForDestination } from '../src/cli/start.js';
import { pickWorkflowId } from '../src/cli/target.js';
import type { DestinationSpec } from '../src/destination.js';
import type { ManagedProcess } from '../src/devserver/process.js';
import { DEFAULT_BEHAVIOUR } from '../src/emulator/behaviour.js';
import { DiskManifest, MANIFEST_DIR } from '../src/manifest/manifest.js';
import { candidateKeys, captureTimeMs } from '../src/sinks/layout.js';
import { pick } from '../src/workflows/pick.js';
import { DEFAULT_PICK_OPTIONS, pickProgressQuery, type PickInput, type PickOptions, type PickProgress, type PickSummary } from '../src/workflows/pick-messages.js';
import { runCli } from './harness/cli.js';
import { tempFilesUnder, walk } from './harness/files.js';
import { historyText } from './harness/history.js';
import { ACCOUNT, startStack, type Stack } from './harness/stack.js';
import { tempDir } from './harness/tmp.js';
import { until } from './harness/wait.js';

const ITEMS = 100;
const POLL_MS = 300;

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];

interface StartedPick {
  readonly handle: WorkflowHandle<typeof pick>;
  readonly sessionId: string;
  readonly pickerUri: string;
}

/** `gphotos-backup pick --json` as the person runs it: the workflow and the link it printed. */
async function pickViaCli(stack: Stack, dest: string): Promise<StartedPick> {
  const started = await runCli(['pick', '--dest', dest, '--account', ACCOUNT, '--json'], stack.env());
  assert.equal(started.code, 0, started.stderr);
  const { workflowId, pickerUri } = JSON.parse(started.stdout) as { workflowId: string; pickerUri: string };
  return { handle: stack.client.workflow.getHandle<typeof pick>(workflowId), sessionId: sessionOf(pickerUri), pickerUri };
}

/**
 * The pick started as the CLI starts it (same id, memo, search attributes), but with options the
 * CLI has no flag for: a short heartbeat timeout, so a killed worker's batch is retried in seconds
 * rather than after the default 60.
 */
async function pickViaClient(stack: Stack, dest: string, options: PickOptions): Promise<StartedPick> {
  const destination: DestinationSpec = { kind: 'disk', path: dest };
  const input: PickInput = { account: { account: ACCOUNT }, destination, options };
  const workflowId = pickWorkflowId(input.account, destination);
  const handle = await startForDestination(stack.client, pick, { taskQueue: stack.taskQueue, workflowId, args: [input] }, { account: input.account, destination, source: 'picker' });
  let progress: PickProgress | undefined;
  await until(async () => (progress = await handle.query(pickProgressQuery)).pickerUri !== undefined, 30_000, 'the picker link');
  const pickerUri = progress?.pickerUri ?? '';
  return { handle, sessionId: sessionOf(pickerUri), pickerUri };
}

function sessionOf(pickerUri: string): string {
  return pickerUri.split('/').at(-1) ?? '';
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** How many manifest lines each item id has (the raw file, not the index that keeps the latest). */
function manifestLineCounts(dest: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of readFileSync(join(dest, MANIFEST_DIR, 'manifest.jsonl'), 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const { id } = JSON.parse(line) as { id: string };
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** Media files in the destination (the manifest folder left out). */
function mediaFiles(dest: string): string[] {
  return walk(dest).filter((path) => !path.includes(`/${MANIFEST_DIR}/`));
}

/** Every picked item stored once under its plain name, byte-exact, with its capture time as mtime. */
async function assertStoredOnce(stack: Stack, dest: string, ids: readonly string[]): Promise<void> {
  const manifest = await DiskManifest.open(dest);
  const lines = manifestLineCounts(dest);
  for (const id of ids) {
    const item = stack.emulator.item(id);
    const entry = manifest.get(id);
    assert.ok(item && entry, `${id} is in the manifest`);
    assert.equal(lines.get(id), 1, `one manifest entry for ${entry.key}`);
    assert.equal(entry.source, 'picker');
    assert.equal(entry.key, candidateKeys(item)[0], `${entry.key} under its plain name, no ~suffix`);
    const path = join(dest, ...entry.key.split('/'));
    assert.equal(sha256(readFileSync(path)), (await stack.emulator.expected(id)).sha256, `bytes of ${entry.key}`);
    const captured = captureTimeMs(item.creationTime) ?? 0;
    assert.equal(Math.floor(statSync(path).mtimeMs / 1000), Math.floor(captured / 1000), `mtime of ${entry.key}`);
  }
  assert.equal(lines.size, ids.length, 'no manifest entries beyond the picked items');
  const files = mediaFiles(dest);
  assert.equal(files.length, ids.length, 'one file per picked item');
  assert.equal(new Set(files.map((f) => sha256(readFileSync(f)))).size, files.length, 'no two files with the same bytes');
  assert.deepEqual(tempFilesUnder(dest), [], 'no temp files left');
}

function assertPicked(summary: PickSummary): void {
  assert.equal(summary.outcome, 'picked');
  assert.equal(summary.listed, ITEMS);
  assert.equal(summary.failed, 0, `failures: ${JSON.stringify(summary.recentFailures)}`);
  assert.deepEqual([summary.stored, summary.skipped], [ITEMS, 0], 'every picked item counted as stored by this pick');
}

function assertSessionDeleted(stack: Stack, sessionId: string): void {
  assert.equal(stack.emulator.pickerSessions().find((s) => s.id === sessionId)?.deleted, true, 'the Picker session was deleted');
}

/** Media requests per item: the most any one item took, and the re-downloads in all. */
function mediaRequests(stack: Stack): { total: number; max: number; extra: number } {
  const perItem = Object.values(stack.emulator.counters().mediaByItem);
  return {
    total: perItem.reduce((a, b) => a + b, 0),
    max: Math.max(0, ...perItem),
    extra: perItem.reduce((sum, n) => sum + Math.max(0, n - 1), 0),
  };
}

function activityName(event: HistoryEvent): string | undefined {
  return event.activityTaskScheduledEventAttributes?.activityType?.name ?? undefined;
}

function scheduledCount(history: History, name: string): number {
  return (history.events ?? []).filter((e) => activityName(e) === name).length;
}

/** The kind of a history event, e.g. activityTaskCompleted. */
function eventKind(event: HistoryEvent): string {
  const key = Object.entries(event).find(([k, v]) => k.endsWith('EventAttributes') && v !== null && v !== undefined)?.[0];
  return key?.replace(/EventAttributes$/, '') ?? 'unknown';
}

/** Events holding `text`, named by kind (and activity, where there is one). */
function eventsHolding(history: History, text: string): string[] {
  const events = history.events ?? [];
  const names = new Map(events.map((e) => [String(e.eventId), activityName(e)]));
  return events
    .filter((e) => historyText(e).includes(text))
    .map((e) => {
      const scheduledId = e.activityTaskCompletedEventAttributes?.scheduledEventId;
      const activity = activityName(e) ?? (scheduledId !== undefined && scheduledId !== null ? names.get(String(scheduledId)) : undefined);
      return activity ? `${eventKind(e)}(${activity})` : eventKind(e);
    });
}

describe('pick resilience', () => {
  let stack: Stack;
  let worker: ManagedProcess;
  let workers = 0;
  const replaceWorker = async (): Promise<void> => {
    worker.signal('SIGKILL');
    await worker.stop();
    worker = await stack.spawnWorker(`worker-${++workers}`);
  };

  before(async () => {
    stack = await startStack({ preset: 'large', items: ITEMS });
    // Picker ids equal to the Library's, so that items are found by the emulator's ids.
    stack.emulator.setBehaviour({ pickerPollIntervalMs: POLL_MS, pickerItemIds: 'library' });
    worker = await stack.spawnWorker(`worker-${workers}`);
  });
  after(() => stack?.close());

  it('baseUrls that expire mid-download are renewed by listing the session again; every item stored', async (t) => {
    const ttlMs = 1800;
    const delayMs = 40;
    stack.emulator.resetCounters();
    stack.emulator.setBehaviour({ baseUrlTtlMs: ttlMs });
    stack.emulator.addFault({ target: 'media', kind: 'slow', probability: 1, delayMs });
    const dest = join(tempDir('pick-expiry'), 'photos');
    const begun = Date.now();
    try {
      const { handle, sessionId } = await pickViaCli(stack, dest);
      stack.emulator.pick(sessionId, { count: ITEMS });
      const summary = await handle.result();
      const history = await handle.fetchHistory();
      const pages = scheduledCount(history, 'listPickerPage');
      const batches = scheduledCount(history, 'downloadBatch');
      const lists = stack.emulator.counters().requests['picker.mediaItems.list'] ?? 0;
      const media = mediaRequests(stack);
      t.diagnostic(`${Date.now() - begun} ms; ${pages} pages, ${batches} batches, ${lists} mediaItems.list, ${media.total} media requests (${media.extra} on expired URLs, at most ${media.max} for one item)`);
      assertPicked(summary);
      // The workflow lists each page once and each batch its own page once: more is a renewal.
      assert.ok(lists > pages + batches, `URLs renewed by listing again: ${lists} lists for ${pages} pages and ${batches} batches`);
      assert.ok(media.extra >= 1, 'some baseUrls did expire before their item was downloaded');
      assert.ok(media.max <= 2, `at most one expired try per item (${media.max})`);
      await assertStoredOnce(stack, dest, stack.emulator.library.items.map((item) => item.id));
      assertSessionDeleted(stack, sessionId);
    } finally {
      stack.emulator.clearFaults();
      stack.emulator.setBehaviour({ baseUrlTtlMs: DEFAULT_BEHAVIOUR.baseUrlTtlMs });
    }
  });

  it('completes after the worker is killed with SIGKILL twice mid-batch; re-downloads at most the items in flight', async (t) => {
    const options: PickOptions = { ...DEFAULT_PICK_OPTIONS, heartbeatTimeoutSeconds: 3 };
    stack.emulator.resetCounters();
    stack.emulator.addFault({ target: 'media', kind: 'slow', probability: 1, delayMs: 50 });
    const dest = join(tempDir('pick-kill'), 'photos');
    const begun = Date.now();
    try {
      const { handle, sessionId } = await pickViaClient(stack, dest, options);
      stack.emulator.pick(sessionId, { count: ITEMS });
      const killedAt: number[] = [];
      for (const threshold of [20, 55]) {
        await until(() => mediaRequests(stack).total >= threshold, 60_000, `${threshold} media requests`);
        killedAt.push(Object.keys(stack.emulator.counters().mediaByItem).length);
        await replaceWorker();
      }
      const summary = await handle.result();
      const batches = scheduledCount(await handle.fetchHistory(), 'downloadBatch');
      const media = mediaRequests(stack);
      t.diagnostic(`${Date.now() - begun} ms; killed with ${killedAt.join(' and ')} items requested; ${batches} batches; ${summary.stored} stored, ${summary.skipped} found stored; ${media.extra} re-downloads, at most ${media.max} requests for one item`);
      assert.ok(killedAt.every((n) => n < ITEMS), 'each kill landed while items were still to download');
      // Items a killed attempt stored before its heartbeat said so count as stored, not as found.
      assertPicked(summary);
      // One item at a time per batch: each kill cuts at most one item per batch in flight.
      const inFlight = Math.min(batches, options.concurrency);
      assert.ok(media.extra <= inFlight * killedAt.length, `${media.extra} re-downloads for ${inFlight} batches in flight and ${killedAt.length} kills`);
      assert.ok(media.max <= 1 + killedAt.length, `at most ${1 + killedAt.length} requests for one item (${media.max})`);
      await assertStoredOnce(stack, dest, stack.emulator.library.items.map((item) => item.id));
      assertSessionDeleted(stack, sessionId);
    } finally {
      stack.emulator.clearFaults();
    }
  });

  it('keeps polling after the Temporal server restarts while it waits for the person, then stores the pick', async (t) => {
    stack.emulator.resetCounters();
    const dest = join(tempDir('pick-restart'), 'photos');
    const { handle, sessionId } = await pickViaCli(stack, dest);
    await until(async () => (await handle.query(pickProgressQuery)).polls >= 2, 30_000, 'two polls');
    const pollsBefore = (await handle.query(pickProgressQuery)).polls;
    const restartBegun = Date.now();
    await stack.server.restart();
    const restartMs = Date.now() - restartBegun;
    const getsAfterRestart = stack.emulator.counters().requests['picker.sessions.get'] ?? 0;
    // A poll that ran while the server was away may reach the workflow only after it is back: wait
    // for three new sessions.get calls at the emulator, as well as in the workflow's own count.
    const gets = () => stack.emulator.counters().requests['picker.sessions.get'] ?? 0;
    await until(async () => gets() >= getsAfterRestart + 3 && (await handle.query(pickProgressQuery)).polls >= pollsBefore + 3, 60_000, 'sessions.get called three times after the restart');
    const waiting = await handle.query(pickProgressQuery);
    assert.equal(waiting.status, 'waiting-for-pick');
    assert.equal(stack.emulator.counters().requests.media ?? 0, 0, 'nothing downloaded before the pick');
    stack.emulator.pick(sessionId, { count: ITEMS });
    const summary = await handle.result();
    t.diagnostic(`restart took ${restartMs} ms; ${pollsBefore} polls before it, ${summary.polls} in all`);
    assertPicked(summary);
    assert.ok(mediaRequests(stack).max <= 1, 'each item downloaded once');
    await assertStoredOnce(stack, dest, stack.emulator.library.items.map((item) => item.id));
    assertSessionDeleted(stack, sessionId);
  });

  it('leaves no token and no baseUrl in the history, and the pickerUri only in the session result and the memo', async (t) => {
    stack.emulator.resetCounters();
    const dest = join(tempDir('pick-history'), 'photos');
    const { handle, sessionId, pickerUri } = await pickViaCli(stack, dest);
    await until(async () => (await handle.query(pickProgressQuery)).polls >= 1, 30_000, 'a poll');
    stack.emulator.pick(sessionId, { count: ITEMS });
    assertPicked(await handle.result());
    const history = await handle.fetchHistory();
    const text = historyText(history);
    const stored = await stack.store.load(ACCOUNT);
    const issued = stack.emulator.issuedTokens();
    const secrets = [...new Set([...issued, stored.refresh_token, stored.client_secret])];
    t.diagnostic(`${history.events?.length ?? 0} events, ${text.length} characters; ${secrets.length} secrets looked for; ${stack.emulator.counters().requests.media ?? 0} baseUrls loaded`);
    assert.ok(issued.some((token) => token.startsWith('ya29.')), 'the worker was given access tokens to look for');
    assert.ok(issued.includes(stored.refresh_token), 'the stored refresh token is the emulator\'s');
    for (const secret of secrets) assert.ok(!text.includes(secret), `no ${secret.slice(0, 5)}… credential in the history`);
    assert.ok(!text.includes(`${stack.emulator.url}/lr/`) && !text.includes('/lr/'), 'no baseUrl in the history');
    const downloadInputs = (history.events ?? []).filter((e) => activityName(e) === 'downloadBatch').map((e) => historyText(e));
    assert.ok(downloadInputs.length > 0 && downloadInputs.every((input) => !input.includes(pickerUri)), 'no pickerUri in any downloadBatch input');
    const holding = eventsHolding(history, pickerUri);
    t.diagnostic(`pickerUri found in: ${holding.join(', ')}`);
    assert.ok(holding.includes('activityTaskCompleted(createPickerSession)'), 'the createPickerSession result has the link');
    assert.ok(holding.includes('workflowPropertiesModified'), 'the memo has the link');
    const allowed = new Set(['activityTaskCompleted(createPickerSession)', 'workflowPropertiesModified']);
    assert.deepEqual(holding.filter((where) => !allowed.has(where)), [], 'the pickerUri appears nowhere but the createPickerSession result and the memo');
  });
});
