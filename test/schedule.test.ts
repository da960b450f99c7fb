// `gphotos-backup schedule` on the real dev server with a worker process: a schedule runs the
// backup tick after tick (the second run downloads nothing, a photo added between runs, taken
// years ago, is stored by the next one), a tick is skipped while a slow run still runs, pause,
// unpause, trigger, update, backfill and delete do what they say, and a scheduled Picker round
// waits for the person on its tick.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DiskManifest } from '../src/manifest/manifest.js';
import { pickProgressQuery } from '../src/workflows/pick-messages.js';
import { runCli } from './harness/cli.js';
import { ACCOUNT, startStack, type Stack } from './harness/stack.js';
import { tempDir } from './harness/tmp.js';
import { until } from './harness/wait.js';

interface Described {
  readonly when: string;
  readonly paused: boolean;
  readonly runsTaken: number;
  readonly skippedWhileRunning: number;
  readonly nextRuns: string[];
  readonly recentRuns: { workflowId: string; status: string; result?: string }[];
}

describe('CLI: schedule', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ preset: 'large', items: 30 });
    await stack.spawnWorker();
  });
  after(() => stack?.close());

  const cli = (...args: string[]) => runCli(['schedule', ...args], stack.env());
  async function described(name: string): Promise<Described> {
    const result = await cli('describe', name, '--json');
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as Described;
  }
  const completed = (d: Described) => d.recentRuns.filter((r) => r.status === 'COMPLETED');

  it('runs the backup on every tick: the next run downloads nothing, a photo added meanwhile (taken years ago) is stored', async (t) => {
    const dest = join(tempDir('scheduled'), 'photos');
    const created = await cli('create', 'nightly', '--every', '3s', '--dest', dest, '--account', ACCOUNT, '--processing-wait', '0');
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /Schedule nightly created: a backup every 3s; next run /);
    await until(async () => completed(await described('nightly')).length >= 2, 60_000, 'two completed runs');
    const [first, second] = completed(await described('nightly'));
    assert.equal(first?.result, '30 stored, 0 already there, 0 failed');
    assert.equal(second?.result, '0 stored, 30 already there, 0 failed');
    assert.match(first?.workflowId ?? '', /^backup\/tester\/[0-9a-f]{12}-/, 'runs are named after the backup they are');

    const [added] = stack.emulator.addItems(1, Date.UTC(2012, 4, 1, 10, 0));
    assert.ok(added);
    await until(async () => completed(await described('nightly')).some((r) => r.result === '1 stored, 30 already there, 0 failed'), 60_000, 'a run that stores the new photo');
    assert.equal((await cli('pause', 'nightly')).code, 0);
    const entry = (await DiskManifest.open(dest)).get(added.id);
    assert.ok(entry && existsSync(join(dest, ...entry.key.split('/'))), 'the added photo is stored');
    assert.match(entry.key, /^2012\/05\//);
    const text = await cli('describe', 'nightly');
    t.diagnostic(text.stdout);
    assert.match(text.stdout, /Schedule nightly: a backup every 3s \(paused/);
    assert.match(text.stdout, /completed, 1 stored, 30 already there, 0 failed/);
  });

  it('skips a tick while the previous run still runs', async () => {
    const dest = join(tempDir('scheduled-slow'), 'photos');
    stack.emulator.addFault({ target: 'media', kind: 'slow', probability: 1, delayMs: 400 });
    try {
      assert.equal((await cli('create', 'slow', '--every', '2s', '--dest', dest, '--account', ACCOUNT, '--concurrency', '1')).code, 0);
      await until(async () => (await described('slow')).skippedWhileRunning >= 1, 60_000, 'a skipped tick');
      const d = await described('slow');
      assert.ok(d.runsTaken >= 1);
      assert.ok(d.recentRuns.filter((r) => r.status === 'RUNNING').length <= 1, 'never two runs at once');
    } finally {
      await cli('delete', 'slow');
      stack.emulator.clearFaults();
    }
  });

  it('pause, unpause, trigger, update, backfill and delete', async () => {
    const dest = join(tempDir('scheduled-manual'), 'photos');
    const create = await cli('create', 'weekly', '--every', '1h', '--jitter', '1m', '--dest', dest, '--account', ACCOUNT, '--paused', '--note', 'set up');
    assert.equal(create.code, 0, create.stderr);
    let d = await described('weekly');
    assert.deepEqual([d.paused, d.runsTaken, d.when], [true, 0, 'every 1h (jitter up to 1m)']);
    assert.equal((await cli('unpause', 'weekly')).code, 0);
    assert.equal((await described('weekly')).paused, false);
    assert.equal((await cli('trigger', 'weekly')).code, 0);
    await until(async () => completed(await described('weekly')).length === 1, 60_000, 'the triggered run');
    assert.equal(completed(await described('weekly'))[0]?.result, `${stack.emulator.library.items.length} stored, 0 already there, 0 failed`);

    const updated = await cli('update', 'weekly', '--cron', '30 3 * * 1');
    assert.equal(updated.code, 0, updated.stderr);
    d = await described('weekly');
    assert.match(d.when, /calendar \(UTC\): minute 30, hour 3, dayOfWeek MONDAY/);
    assert.equal(new Date(d.nextRuns[0] ?? '').getUTCDay(), 1, 'next run on a Monday');

    const hour = 3_600_000;
    const backfill = await cli('backfill', 'weekly', '--from', new Date(Date.now() - 15 * 24 * hour).toISOString(), '--to', new Date(Date.now() - hour).toISOString());
    assert.equal(backfill.code, 0, backfill.stderr);
    await until(async () => (await described('weekly')).runsTaken >= 2, 60_000, 'a backfilled run');
    assert.equal((await cli('pause', 'weekly', '--note', 'on holiday')).code, 0);
    const list = await runCli(['schedule', 'list'], stack.env());
    assert.match(list.stdout, /weekly: backup calendar \(UTC\): minute 30, hour 3, dayOfWeek MONDAY \(paused\)/);

    assert.equal((await cli('delete', 'weekly')).code, 0);
    const gone = await cli('describe', 'weekly');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no schedule named weekly/);
    const bad = await cli('create', 'x', '--every', 'soon', '--dest', dest);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--every must be a duration/);
  });

  it('a scheduled Picker round opens a session on its tick and waits for the person, then stores what they pick', async () => {
    stack.emulator.setBehaviour({ pickerPollIntervalMs: 300 });
    const dest = join(tempDir('scheduled-pick'), 'photos');
    const create = await cli('create', 'monthly-pick', '--cron', '0 9 1 * *', '--pick', '--dest', dest, '--account', ACCOUNT, '--processing-wait', '0');
    assert.equal(create.code, 0, create.stderr);
    assert.match(create.stdout, /Schedule monthly-pick created: a Picker round calendar \(UTC\): minute 0, hour 9, dayOfMonth 1/);
    assert.equal((await cli('trigger', 'monthly-pick')).code, 0);
    let workflowId = '';
    await until(async () => {
      const run = (await described('monthly-pick')).recentRuns[0];
      workflowId = run?.workflowId ?? '';
      return run?.status === 'RUNNING';
    }, 30_000, 'the triggered Picker round');
    assert.match(workflowId, /^pick\/tester\/[0-9a-f]{12}-/);
    const handle = stack.client.workflow.getHandle(workflowId);
    let sessionId = '';
    await until(async () => {
      const p = await handle.query(pickProgressQuery);
      sessionId = p.sessionId ?? '';
      return p.status === 'waiting-for-pick' && p.polls >= 2;
    }, 30_000, 'the round waiting for the person');
    const status = await runCli(['status', workflowId], stack.env());
    assert.match(status.stdout, /Open this link and pick the photos to back up: http/);
    stack.emulator.pick(sessionId, { count: 5 });
    await until(async () => completed(await described('monthly-pick')).length === 1, 30_000, 'the round done');
    assert.equal(completed(await described('monthly-pick'))[0]?.result, '5 stored, 0 already there, 0 failed');
    assert.equal((await cli('delete', 'monthly-pick')).code, 0);
  });
});
