// Two workers on one task queue (real dev server, two worker processes) share one backup, and the
// backup's media rate (`--max-rate`) holds across both: counted at the emulator, no second ever
// sees more media requests than the limit.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './harness/cli.js';
import { ACCOUNT, startStack, type Stack } from './harness/stack.js';
import { tempDir } from './harness/tmp.js';

const RATE = 25;
const ITEMS = 300;

describe('scale-out: two workers, one rate', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ preset: 'large', items: ITEMS });
    // Two activities at a time each: six batches in flight cannot all run on one worker (the server
    // hands a workflow's activities eagerly to the worker that ran its workflow task, when it can).
    await Promise.all([stack.spawnWorker('worker-a', {}, ['--concurrency', '2']), stack.spawnWorker('worker-b', {}, ['--concurrency', '2'])]);
  });
  after(() => stack?.close());

  it(`two workers complete one backup together, never above ${RATE} media requests a second`, async (t) => {
    stack.emulator.resetCounters();
    const dest = join(tempDir('scale-out'), 'photos');
    const started = Date.now();
    const result = await runCli(['backup', '--dest', dest, '--account', ACCOUNT, '--concurrency', '6', '--max-rate', String(RATE), '--wait', '--json'], stack.env(), 180_000);
    assert.equal(result.code, 0, result.stderr);
    const { workflowId, summary } = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { workflowId: string; summary: { stored: number } };
    assert.equal(summary.stored, ITEMS);
    const counters = stack.emulator.counters();
    const seconds = (Date.now() - started) / 1000;
    const events = (await stack.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const workers = new Set(events.flatMap((e) => (e.activityTaskStartedEventAttributes?.identity ? [e.activityTaskStartedEventAttributes.identity] : [])));
    t.diagnostic(`${ITEMS} items in ${seconds.toFixed(1)} s; peak ${counters.peakPerSecond.media ?? 0} media requests in one second (limit ${RATE}); ${workers.size} workers ran batches`);
    assert.equal(counters.requests.media, ITEMS);
    assert.ok((counters.peakPerSecond.media ?? 0) <= RATE, `peak ${counters.peakPerSecond.media} > ${RATE}`);
    assert.ok(workers.size >= 2, `both workers ran batches: ${[...workers].join(', ')}`);
  });
});
