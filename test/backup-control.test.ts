// Pause, resume and cancel from the CLI, and continue-as-new keeping every run's history small.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { backup } from '../src/workflows/backup.js';
import { DEFAULT_BACKUP_OPTIONS, progressQuery, type BackupProgress } from '../src/workflows/messages.js';
import { runCli } from './harness/cli.js';
import { ACCOUNT, startStack, type Stack } from './harness/stack.js';
import { tempFilesUnder } from './harness/files.js';
import { tempDir } from './harness/tmp.js';

async function progressOf(stack: Stack, workflowId: string): Promise<BackupProgress> {
  return stack.client.workflow.getHandle(workflowId).query(progressQuery);
}

async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('pause, resume and cancel from the CLI', () => {
  let stack: Stack;
  before(async () => {
    // Progress counts a batch (a page, 100 items) when it completes: enough batches remain after
    // the resume for the cancel to land mid-run even on a slow machine.
    stack = await startStack({ preset: 'large', items: 1000 });
    stack.emulator.addFault({ target: 'media', kind: 'slow', probability: 1, delayMs: 40 });
    await stack.spawnWorker();
  });
  after(() => stack?.close());

  it('pause stops new batches, resume goes on, cancel aborts downloads and leaves no temp files', async () => {
    const dest = join(tempDir('control'), 'photos');
    const started = await runCli(['backup', '--dest', dest, '--account', ACCOUNT, '--json', '--concurrency', '2'], stack.env());
    assert.equal(started.code, 0, started.stderr);
    const { workflowId } = JSON.parse(started.stdout) as { workflowId: string };

    await until(async () => (await progressOf(stack, workflowId)).stored >= 20);
    assert.equal((await runCli(['pause', workflowId], stack.env())).code, 0);
    // Batches in flight finish; then nothing new starts.
    await until(async () => {
      const p = await progressOf(stack, workflowId);
      return p.status === 'paused' && p.batchesInFlight === 0;
    });
    const paused = await progressOf(stack, workflowId);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await progressOf(stack, workflowId)).stored, paused.stored, 'no progress while paused');
    const status = await runCli(['status', workflowId], stack.env());
    assert.match(status.stdout, /paused/);

    assert.equal((await runCli(['resume', '--dest', dest, '--account', ACCOUNT], stack.env())).code, 0);
    await until(async () => (await progressOf(stack, workflowId)).stored > paused.stored + 10);

    assert.equal((await runCli(['cancel', workflowId], stack.env())).code, 0);
    await assert.rejects(stack.client.workflow.getHandle(workflowId).result());
    assert.equal((await stack.client.workflow.getHandle(workflowId).describe()).status.name, 'CANCELLED');
    assert.deepEqual(tempFilesUnder(dest), [], 'no temp files after cancel');
    assert.equal((await runCli(['verify', '--dest', dest], stack.env())).code, 0, 'what was stored before the cancel is intact');
    assert.equal((await runCli(['cancel', workflowId], stack.env())).code, 1, 'cancelling a closed backup says so');
  });
});

describe('continue-as-new', () => {
  let stack: Stack;
  before(async () => {
    // Make the server suggest continue-as-new early, as it would after thousands of events.
    stack = await startStack({ preset: 'large', items: 1200 }, { dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 } });
  });
  after(() => stack?.close());

  it('splits a long backup into small runs that carry the cursor and counters', async () => {
    const dest = join(tempDir('can'), 'photos');
    const { worker, close } = await stack.inProcessWorker();
    const workflowId = 'backup/continue-as-new';
    try {
      const summary = await worker.runUntil(
        stack.client.workflow.execute(backup, {
          taskQueue: stack.taskQueue,
          workflowId,
          args: [{ account: { account: ACCOUNT }, destination: { kind: 'disk', path: dest }, options: { ...DEFAULT_BACKUP_OPTIONS, processingWaitSeconds: 0 } }],
        }),
      );
      assert.equal(summary.listed, 1200);
      assert.equal(summary.stored, 1200);
      assert.ok(summary.runs > 1, `${summary.runs} runs`);
    } finally {
      await close();
    }
    let runs = 0;
    for await (const execution of stack.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      runs += 1;
      assert.ok(execution.historyLength < 200, `run ${execution.runId} has ${execution.historyLength} events`);
    }
    assert.ok(runs > 1);
  });
});
