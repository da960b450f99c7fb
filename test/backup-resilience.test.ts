// The backup survives what users' machines do to it: workers killed with SIGKILL mid-run, the
// Temporal server restarted on its database, Google's faults (429 storms, 5xx, resets,
// truncations, early URL expiry) and daily quota exhaustion; and stays byte-exact throughout.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { DiskManifest } from '../src/manifest/manifest.js';
import { backup } from '../src/workflows/backup.js';
import { DEFAULT_BACKUP_OPTIONS, progressQuery, type BackupInput, type BackupOptions, type BackupProgress } from '../src/workflows/messages.js';
import { ACCOUNT, startStack, type Stack } from './harness/stack.js';
import { tempFilesUnder } from './harness/files.js';
import { tempDir } from './harness/tmp.js';

const FAST: BackupOptions = { ...DEFAULT_BACKUP_OPTIONS, concurrency: 4, processingWaitSeconds: 0, heartbeatTimeoutSeconds: 3 };

async function waitFor(handle: WorkflowHandle, done: (p: BackupProgress) => boolean, timeoutMs = 120_000): Promise<BackupProgress> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const p = await handle.query(progressQuery);
      if (done(p)) return p;
    } catch {
      // no worker to answer right now
    }
    if (Date.now() > deadline) throw new Error('timed out waiting for progress');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every item the destination should hold is there, byte-exact; no temp files anywhere. */
async function assertComplete(stack: Stack, dest: string, ids: readonly string[]): Promise<void> {
  const manifest = await DiskManifest.open(dest);
  for (const id of ids) {
    const entry = manifest.get(id);
    assert.ok(entry, `item ${id} stored`);
    const bytes = readFileSync(join(dest, ...entry.key.split('/')));
    assert.equal(createHash('sha256').update(bytes).digest('hex'), (await stack.emulator.expected(id)).sha256, `bytes of ${entry.key}`);
  }
  assert.deepEqual(tempFilesUnder(dest), [], 'no temp files left');
}

describe('backup resilience: crashes and restarts', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ preset: 'large', items: 600 });
    // Every media request takes a little while, so a run lasts long enough to be killed mid-way.
    stack.emulator.addFault({ target: 'media', kind: 'slow', probability: 1, delayMs: 25 });
  });
  after(() => stack?.close());

  it('completes after the worker is killed with SIGKILL twice; re-downloads at most the items in flight', async () => {
    const dest = join(tempDir('crash'), 'photos');
    const input: BackupInput = { account: { account: ACCOUNT }, destination: { kind: 'disk', path: dest }, options: FAST };
    stack.emulator.resetCounters();
    let worker = await stack.spawnWorker('worker-1');
    const handle = await stack.client.workflow.start(backup, { taskQueue: stack.taskQueue, workflowId: 'backup/crash', args: [input] });
    for (const [i, threshold] of [150, 350].entries()) {
      await waitFor(handle, (p) => p.stored >= threshold);
      worker.signal('SIGKILL');
      await worker.stop();
      worker = await stack.spawnWorker(`worker-${i + 2}`);
    }
    const summary = await handle.result();
    const ids = stack.emulator.library.items.map((item) => item.id);
    assert.equal(summary.listed, ids.length);
    assert.equal(summary.failed, 0);
    await assertComplete(stack, dest, ids);
    const duplicates = Object.values(stack.emulator.counters().mediaByItem).reduce((sum, n) => sum + Math.max(0, n - 1), 0);
    // At most one item is in flight per download activity: concurrency × kills.
    assert.ok(duplicates <= FAST.concurrency * 2, `${duplicates} items downloaded twice`);
  });

  it('completes after the Temporal server is stopped and restarted on the same database', async () => {
    const dest = join(tempDir('restart'), 'photos');
    const input: BackupInput = { account: { account: ACCOUNT }, destination: { kind: 'disk', path: dest }, options: FAST };
    await stack.spawnWorker('worker-restart');
    const handle = await stack.client.workflow.start(backup, { taskQueue: stack.taskQueue, workflowId: 'backup/restart', args: [input] });
    await waitFor(handle, (p) => p.stored >= 150);
    await stack.server.restart();
    const summary = await stack.client.workflow.getHandle<typeof backup>('backup/restart').result();
    assert.equal(summary.listed, 600);
    await assertComplete(stack, dest, stack.emulator.library.items.map((item) => item.id));
  });
});

describe('backup resilience: Google faults and quotas', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ preset: 'mixed', items: 150, behaviour: { quota: { periodMs: 24 * 3600 * 1000 } } });
    await stack.spawnWorker();
  });
  after(() => stack?.close());

  it('completes under 429 storms, 5xx, resets, truncations and early URL expiry, with nothing corrupt', async () => {
    const e = stack.emulator;
    e.addFault({ target: 'library', kind: 'rate-limit', retryAfterSeconds: 1, probability: 0.15 });
    e.addFault({ target: 'library', kind: 'server-error', status: 503, probability: 0.1 });
    e.addFault({ target: 'media', kind: 'rate-limit', retryAfterSeconds: 1, probability: 0.05 });
    e.addFault({ target: 'media', kind: 'server-error', status: 500, probability: 0.05 });
    e.addFault({ target: 'media', kind: 'reset', probability: 0.05, afterBytes: 1000 });
    e.addFault({ target: 'media', kind: 'truncate', probability: 0.05, afterBytes: 1000, declareLength: true });
    e.addFault({ target: 'media', kind: 'expire-url', probability: 0.05 });
    const dest = join(tempDir('faults'), 'photos');
    const summary = await stack.client.workflow.execute(backup, {
      taskQueue: stack.taskQueue,
      workflowId: 'backup/faults',
      args: [{ account: { account: ACCOUNT }, destination: { kind: 'disk', path: dest }, options: { ...FAST, processingWaitSeconds: 30 } }],
    });
    e.clearFaults();
    const visible = e.library.items.filter((item) => item.appCreated);
    assert.equal(summary.listed, visible.length);
    assert.equal(summary.failed, 0);
    assert.ok(Object.values(e.counters().faulted).reduce((a, b) => a + b, 0) > 10, 'faults did fire');
    await assertComplete(stack, dest, visible.map((item) => item.id));
  });

  it('sleeps through daily quota exhaustion and goes on by itself once the quota resets', async () => {
    const e = stack.emulator;
    // Pretend the day ends in 8 seconds: the quota window resets then, and so does the workflow's clock.
    const resetAt = new Date(Date.now() + 8000);
    const offset = resetAt.getTime() % (24 * 3600 * 1000);
    e.setBehaviour({ quota: { resetOffsetMs: offset } });
    e.exhaustQuota('libraryMedia');
    const hhmmss = resetAt.toISOString().slice(11, 19);
    const dest = join(tempDir('quota'), 'photos');
    const handle = await stack.client.workflow.start(backup, {
      taskQueue: stack.taskQueue,
      workflowId: 'backup/quota',
      args: [{ account: { account: ACCOUNT }, destination: { kind: 'disk', path: dest }, options: { ...FAST, quotaResetUtc: hhmmss, quotaResetMarginSeconds: 1 } }],
    });
    const sleeping = await waitFor(handle, (p) => p.status === 'sleeping-for-quota', 30_000);
    assert.ok(sleeping.sleepingUntil && Date.parse(sleeping.sleepingUntil) >= resetAt.getTime());
    const summary = await handle.result();
    const visible = e.library.items.filter((item) => item.appCreated);
    assert.equal(summary.listed, visible.length);
    await assertComplete(stack, dest, visible.filter((item) => item.video?.status !== 'PROCESSING').map((item) => item.id));
  });
});
