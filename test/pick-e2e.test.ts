// `gphotos-backup pick` end to end (real dev server, a worker process, the emulator's pick
// control standing in for the person): nothing is downloaded before the person picks, the
// workflow polls on timers (a bounded number of history events a poll), everything picked is
// stored byte-exact as a picker item, and the session is deleted; a session that expires
// unpicked ends with outcome `expired` and exit code 3.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DiskManifest } from '../src/manifest/manifest.js';
import { pickProgressQuery, type PickSummary } from '../src/workflows/pick-messages.js';
import { runCli } from './harness/cli.js';
import { ACCOUNT, startStack, type Stack } from './harness/stack.js';
import { tempDir } from './harness/tmp.js';
import { until } from './harness/wait.js';

const POLL_MS = 300;
/** Events of one poll: timer started and fired, the activity's three, and two workflow tasks' three each. */
const EVENTS_PER_POLL = 11;

describe('CLI: pick', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ preset: 'large', items: 40 });
    stack.emulator.setBehaviour({ pickerPollIntervalMs: POLL_MS });
    await stack.spawnWorker();
  });
  after(() => stack?.close());

  it('waits for the person on timers, then stores every picked item byte-exact and deletes the session', async (t) => {
    stack.emulator.resetCounters();
    const dest = join(tempDir('pick'), 'photos');
    const started = await runCli(['pick', '--dest', dest, '--account', ACCOUNT, '--json'], stack.env());
    assert.equal(started.code, 0, started.stderr);
    const { workflowId, pickerUri } = JSON.parse(started.stdout) as { workflowId: string; pickerUri: string };
    assert.match(workflowId, /^pick\/tester\/[0-9a-f]{12}$/);
    const sessionId = pickerUri.split('/').at(-1) ?? '';
    assert.ok(stack.emulator.pickerSessions().some((s) => s.id === sessionId), 'the link is the emulator session\'s');
    const handle = stack.client.workflow.getHandle(workflowId);
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
    stack.emulator.pick(sessionId, { count: 25 });
    const summary = (await handle.result()) as PickSummary;
    t.diagnostic(`${summary.polls} polls, ${summary.stored} stored`);
    assert.equal(summary.outcome, 'picked');
    assert.deepEqual([summary.listed, summary.stored, summary.failed], [25, 25, 0]);

    const manifest = await DiskManifest.open(dest);
    for (const item of stack.emulator.library.items.slice(0, 25)) {
      const entry = manifest.get(item.id);
      assert.ok(entry, `${item.id} is in the manifest`);
      assert.equal(entry.source, 'picker');
      const bytes = readFileSync(join(dest, ...entry.key.split('/')));
      assert.equal(createHash('sha256').update(bytes).digest('hex'), (await stack.emulator.expected(item.id)).sha256);
    }
    assert.equal(stack.emulator.pickerSessions().find((s) => s.id === sessionId)?.deleted, true, 'session deleted');
    const done = await runCli(['status', workflowId], stack.env());
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /Pick done: 25 picked, 25 stored/);

    const events = (await handle.fetchHistory()).events ?? [];
    const firstList = events.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'listPickerPage');
    const polls = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'getPickerSession').length;
    const timers = events.filter((e) => e.timerStartedEventAttributes).length;
    assert.equal(polls, summary.polls);
    assert.equal(timers, polls, 'one durable timer per poll');
    t.diagnostic(`${firstList} events before listing for ${polls} polls`);
    // Room for the start and for a workflow task retried under load (3 events each).
    assert.ok(firstList <= polls * EVENTS_PER_POLL + 24, `history bounded: ${firstList} events for ${polls} polls`);
  });

  it('a session that expires unpicked ends with outcome expired, exit 3, no downloads, the session closed', async () => {
    stack.emulator.resetCounters();
    stack.emulator.setBehaviour({ pickerSessionTtlMs: 2000 });
    const dest = join(tempDir('pick-expired'), 'photos');
    const result = await runCli(['pick', '--dest', dest, '--account', ACCOUNT, '--wait', '--json'], stack.env());
    const text = await runCli(['pick', '--dest', join(tempDir('pick-expired-text'), 'photos'), '--account', ACCOUNT, '--wait'], stack.env());
    stack.emulator.setBehaviour({ pickerSessionTtlMs: 7 * 24 * 3600 * 1000 });
    assert.equal(text.code, 3, text.stderr);
    assert.match(text.stdout, /Open this link and pick the photos to back up: http/);
    assert.match(text.stdout, /expired before anything was picked.*Run `gphotos-backup pick` again/);
    assert.equal(result.code, 3, result.stderr);
    const lines = result.stdout.trim().split('\n');
    const { summary } = JSON.parse(lines.at(-1) ?? '{}') as { summary: PickSummary };
    assert.equal(summary.outcome, 'expired');
    assert.equal(summary.stored, 0);
    const counters = stack.emulator.counters().requests;
    assert.equal(counters.media ?? 0, 0, 'no downloads');
    assert.equal(counters['picker.mediaItems.list'] ?? 0, 0, 'nothing listed');
    assert.ok((counters['picker.sessions.delete'] ?? 0) >= 1, 'the session was deleted (or found gone)');
  });
});
