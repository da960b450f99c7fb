// The backup workflow alone, with mocked activities, on the Java SDK's time-skipping test server:
// the daily-quota sleep, PROCESSING videos retried with backoff, and pause/resume run in seconds
// although they span hours of workflow time. A pause just before continue-as-new runs on the dev
// server, whose continue-as-new threshold can be set.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { toActivityFailure } from '../src/activities/failures.js';
import { startTemporalDevServer, type TemporalDevServer } from '../src/devserver/temporal.js';
import { GooglePhotosError } from '../src/google/errors.js';
import { backup, msUntilUtc } from '../src/workflows/backup.js';
import { DEFAULT_BACKUP_OPTIONS, pauseSignal, progressQuery, resumeSignal, type BackupInput, type BackupOptions } from '../src/workflows/messages.js';
import { gate, mockActivities, photo, storedAll, video, type MockedActivities } from './harness/mock-activities.js';
import { mockedWorker, startTimeSkipping } from './harness/time-skipping.js';
import { tempDir } from './harness/tmp.js';
import { progressWhen, until } from './harness/wait.js';

const EventType = temporal.api.enums.v1.EventType;

function input(options: Partial<BackupOptions> = {}): BackupInput {
  return { account: { account: 'tester' }, destination: { kind: 'disk', path: '/backup' }, options: { ...DEFAULT_BACKUP_OPTIONS, processingWaitSeconds: 0, ...options } };
}

/** Durations (ms) of the timers the run started, in order. */
async function timersOf(handle: WorkflowHandle): Promise<number[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? [])
    .filter((event) => event.eventType === EventType.EVENT_TYPE_TIMER_STARTED)
    .map((event) => {
      const timeout = event.timerStartedEventAttributes?.startToFireTimeout;
      return Number(timeout?.seconds ?? 0) * 1000 + Math.round((timeout?.nanos ?? 0) / 1e6);
    });
}

// One time-skipping test server for the file, started by the first test that needs it.
let env: TestWorkflowEnvironment | undefined;
let queue = 0;
after(() => env?.teardown());

/** Starts a backup on a fresh task queue served by a worker with `mocks`; runs `body` while the worker runs. */
async function withBackup<T>(mocks: MockedActivities, args: BackupInput, body: (handle: WorkflowHandle<typeof backup>, server: TestWorkflowEnvironment) => Promise<T>): Promise<T> {
  const server = (env ??= await startTimeSkipping());
  const taskQueue = `wf-${++queue}`;
  const worker = await mockedWorker(server.nativeConnection, taskQueue, mocks.activities);
  return worker.runUntil(async () => body(await server.client.workflow.start(backup, { taskQueue, workflowId: `backup/${taskQueue}`, args: [args] }), server));
}

describe('backup workflow, time skipping: daily quota', () => {
  it('sleeps until the daily quota resets, then goes on with the same batch', async () => {
    const items = [photo(1), photo(2), photo(3)];
    const quota = toActivityFailure(new GooglePhotosError('daily-quota', 'Quota exceeded for quota metric media requests per day'));
    const mocks = mockActivities([items], (batch, call) => {
      if (call === 0) throw quota;
      return storedAll(batch.items);
    });
    const summary = await withBackup(mocks, input(), async (handle) => {
      // Time stands still until the test awaits the result: the workflow is seen asleep first.
      const sleeping = await progressWhen(handle, (p) => p.status === 'sleeping-for-quota');
      assert.ok(sleeping.sleepingUntil);
      const failedAt = mocks.batchCalls[0]?.scheduledMs ?? 0;
      const resetAt = failedAt + msUntilUtc(DEFAULT_BACKUP_OPTIONS.quotaResetUtc, failedAt) + DEFAULT_BACKUP_OPTIONS.quotaResetMarginSeconds * 1000;
      assert.ok(Math.abs(Date.parse(sleeping.sleepingUntil) - resetAt) < 5000, `sleeps until ${sleeping.sleepingUntil}, reset at ${new Date(resetAt).toISOString()}`);
      const result = await handle.result();
      const [timer, ...others] = await timersOf(handle);
      assert.deepEqual(others, []);
      assert.ok(timer !== undefined && Math.abs(failedAt + timer - resetAt) < 5000, `one timer to the reset, got ${timer} ms`);
      assert.ok((mocks.batchCalls[1]?.scheduledMs ?? 0) >= resetAt - 1000, 'the batch is tried again only after the reset');
      return result;
    });
    assert.equal(mocks.batchCalls.length, 2);
    assert.deepEqual(mocks.batchCalls[1]?.ids, items.map((item) => item.id));
    assert.equal(summary.stored, 3);
    assert.equal(summary.status, 'done');
    assert.equal(mocks.sweeps.length, 1);
  });

});

describe('backup workflow, time skipping: PROCESSING videos', () => {
  it('retries PROCESSING videos with a growing pause until they are READY', async () => {
    const clip = video(1);
    const mocks = mockActivities([[photo(1), clip]], (batch, call) => {
      if (call === 0) return { ...storedAll([photo(1)]), deferred: [clip] };
      if (call < 3) return { ...storedAll([]), deferred: [clip] };
      return storedAll(batch.items);
    });
    const summary = await withBackup(mocks, input({ processingWaitSeconds: 15 * 60, processingRetrySeconds: 60 }), async (handle) => {
      const result = await handle.result();
      assert.deepEqual(await timersOf(handle), [10_000, 20_000, 40_000]);
      return result;
    });
    assert.deepEqual(mocks.batchCalls.map((call) => call.ids), [['photo-1', 'video-1'], ['video-1'], ['video-1'], ['video-1']]);
    assert.equal(summary.stored, 2);
    assert.deepEqual(summary.stillProcessing, []);
    assert.equal(summary.deferred, 0);
  });

  it('gives up on videos still PROCESSING when the wait ends, and reports them', async () => {
    const clip = video(2);
    const mocks = mockActivities([[clip]], () => ({ ...storedAll([]), deferred: [clip] }));
    let timers: number[] = [];
    const summary = await withBackup(mocks, input({ processingWaitSeconds: 5 * 60, processingRetrySeconds: 60 }), async (handle) => {
      const result = await handle.result();
      timers = await timersOf(handle);
      return result;
    });
    assert.deepEqual(timers.slice(0, 4), [10_000, 20_000, 40_000, 60_000], 'backoff up to processingRetrySeconds');
    const waited = timers.reduce((a, b) => a + b, 0);
    // The wait is measured on the workflow's clock, which the retries themselves move on a little.
    assert.ok(waited > 4.5 * 60_000 && waited <= 5 * 60_000, `waited ${waited} ms`);
    assert.equal(mocks.batchCalls.length, timers.length + 1, 'one retry after each pause');
    assert.deepEqual(summary.stillProcessing, [clip]);
    assert.equal(summary.stored, 0);
    assert.equal(summary.status, 'done');
  });

});

describe('backup workflow, time skipping: the final round for items that failed on transient trouble', () => {
  it('items handed back by their batches are tried once more at the end; what fails again is reported', async () => {
    const [lucky, unlucky] = [photo(7), photo(8)];
    const mocks = mockActivities([[photo(1), lucky, unlucky], [photo(2)]], (batch) => {
      if (!batch.finalRound) {
        assert.equal(batch.retryLater, true, 'batches of the main pass hand items back');
        const handedBack = batch.items.filter((item) => item === lucky || item.id === lucky.id || item.id === unlucky.id);
        return { ...storedAll(batch.items.filter((item) => !handedBack.includes(item))), retryLater: handedBack };
      }
      assert.equal(batch.retryLater, false, 'the final round records what fails');
      return { ...storedAll([lucky]), failed: [{ id: unlucky.id, filename: unlucky.filename, reason: 'HTTP 503', attempts: 8 }] };
    });
    const summary = await withBackup(mocks, input(), (handle) => handle.result());
    const calls = mocks.batchCalls.map((call) => call.ids.join(','));
    assert.deepEqual(calls.slice(0, 2).sort(), ['photo-1,photo-7,photo-8', 'photo-2'], 'the main pass (its batches run side by side)');
    assert.equal(calls[2], 'photo-7,photo-8', 'then the final round, once');
    assert.equal(calls.length, 3);
    assert.deepEqual([summary.stored, summary.failed], [3, 1]);
    assert.deepEqual(summary.recentFailures.map((f) => f.id), [unlucky.id]);
    assert.equal(summary.retryLater, undefined, 'nothing is left to retry');
  });
});

describe('backup workflow, time skipping: pause and resume', () => {
  it('pause lets running batches finish and starts nothing new, even over hours; resume goes on', async () => {
    const pages = [[photo(1), photo(2)], [photo(3)], [photo(4)]];
    const hold = gate();
    const mocks = mockActivities(pages, async (batch, call) => {
      if (call === 0) await hold.promise;
      return storedAll(batch.items);
    });
    const summary = await withBackup(mocks, input({ concurrency: 1, heartbeatTimeoutSeconds: 3600 }), async (handle, server) => {
      await until(() => mocks.batchCalls.length === 1);
      await handle.signal(pauseSignal);
      hold.open();
      await progressWhen(handle, (p) => p.status === 'paused' && p.batchesInFlight === 0 && p.stored === 2);
      await server.sleep('6 hours');
      assert.equal(mocks.listCalls.length, 1, 'nothing listed while paused');
      assert.equal(mocks.batchCalls.length, 1, 'nothing downloaded while paused');
      await handle.signal(resumeSignal);
      return handle.result();
    });
    assert.equal(mocks.listCalls.length, 3);
    assert.equal(summary.stored, 4);
    assert.equal(summary.status, 'done');
  });
});

// The test server has fixed continue-as-new thresholds; the dev server takes them as dynamic config.
describe('backup workflow with mocked activities (dev server suggesting continue-as-new at once)', () => {
  let server: TemporalDevServer;
  let client: Client;
  let connection: NativeConnection;
  before(async () => {
    server = await startTemporalDevServer({ stateDir: join(tempDir('wf-can'), 'temporal'), headless: true, dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 2 } });
    client = new Client({ connection: await Connection.connect({ address: server.address }) });
    connection = await NativeConnection.connect({ address: server.address });
  });
  after(async () => {
    await connection?.close();
    await client?.connection.close();
    await server?.stop();
  });

  it('a pause that arrives while a run waits to continue as new holds in the next run', async () => {
    const hold = gate();
    const mocks = mockActivities([[photo(1)], [photo(2)]], async (batch, call) => {
      if (call === 0) await hold.promise;
      return storedAll(batch.items);
    });
    const worker = await mockedWorker(connection, 'can-pause', mocks.activities);
    const summary = await worker.runUntil(async () => {
      const handle = await client.workflow.start(backup, { taskQueue: 'can-pause', workflowId: 'backup/can-pause', args: [input({ heartbeatTimeoutSeconds: 3600 })] });
      // The first page's batch is in flight and the run waits for it before continuing as new.
      await until(() => mocks.batchCalls.length === 1);
      await handle.signal(pauseSignal);
      hold.open();
      const next = client.workflow.getHandle<typeof backup>(handle.workflowId);
      await until(async () => (await next.describe()).runId !== handle.firstExecutionRunId);
      await progressWhen(next, (p) => p.runs === 2);
      await new Promise((r) => setTimeout(r, 1500));
      const progress = await next.query(progressQuery);
      assert.equal(progress.status, 'paused', 'the new run is paused');
      assert.equal(mocks.listCalls.length, 1, 'the new run lists nothing while paused');
      await next.signal(resumeSignal);
      return next.result();
    });
    assert.equal(mocks.listCalls.length, 2);
    assert.equal(summary.stored, 2);
    assert.equal(summary.runs, 2);
  });
});
