// A Takeout import survives a killed worker: the worker is killed with SIGKILL in the middle of
// a part, a new one takes the part over from the last heartbeat, and every item ends up stored
// once with unchanged bytes, with no temp file left.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { manifestFor } from '../src/destination.js';
import { importTakeout } from '../src/workflows/import-takeout.js';
import { DEFAULT_TAKEOUT_OPTIONS } from '../src/workflows/takeout-messages.js';
import { tempFilesUnder, walk } from './harness/files.js';
import { startStack, type Stack } from './harness/stack.js';
import { writeTakeout } from './harness/takeout-fixture.js';
import { tempDir } from './harness/tmp.js';
import { until } from './harness/wait.js';

/** temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED: a worker runs it. */
const STARTED = 2;

describe('Takeout import with a killed worker', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ preset: 'hostile' });
  });
  after(() => stack?.close());

  for (const format of ['zip', 'tgz'] as const) {
    it(`${format}: a worker killed mid-archive: the next one resumes the part, every item stored once`, async () => {
      const fixture = await writeTakeout(tempDir(`takeout-kill-${format}`), { format, parts: 2, seed: 11, bulk: { count: 3000, bytes: 24 * 1024 }, gzipLevel: 1 });
      const root = join(tempDir(`takeout-kill-dest-${format}`), 'photos');
      const destination = { kind: 'disk' as const, path: root };
      const options = { ...DEFAULT_TAKEOUT_OPTIONS, concurrency: 1, heartbeatTimeoutSeconds: 5 };
      let worker = await stack.spawnWorker(`worker-1-${format}`);
      const handle = await stack.client.workflow.start(importTakeout, { taskQueue: stack.taskQueue, workflowId: `takeout/kill-${format}`, args: [{ destination, parts: fixture.parts, options }] });
      // Killed once a few hundred files of the first part are there, long before it is done.
      const importing = async () => ((await handle.describe()).raw.pendingActivities ?? []).some((a) => a.activityType?.name === 'importTakeoutPart' && Number(a.state) === STARTED);
      await until(async () => walk(root).length >= 600 && (await importing()), 120_000, '600 files stored while a part is being imported');
      worker.signal('SIGKILL');
      await worker.exited;
      const atKill = walk(root).length;
      worker = await stack.spawnWorker(`worker-2-${format}`);
      const summary = await handle.result();
      // The next case must find no worker of this one: its own is the one it kills.
      await worker.stop();

      assert.ok(atKill < fixture.items.length * 2, `killed mid-way (${atKill} files)`);
      assert.equal(summary.stored, fixture.items.length, 'every item counted as stored once (those of the killed attempt too)');
      assert.equal(summary.failed, 0);
      const all = [...(await manifestFor(destination)).values()];
      assert.equal(all.length, fixture.items.length);
      const bySha = new Map(all.map((entry) => [entry.sha256, entry]));
      for (const item of fixture.items) {
        const entry = bySha.get(item.sha256);
        assert.ok(entry, `${item.label} is stored`);
        assert.equal(createHash('sha256').update(readFileSync(join(root, entry.key))).digest('hex'), item.sha256);
      }
      assert.deepEqual(tempFilesUnder(root), []);
      const media = walk(root).filter((path) => !path.includes('/.gphotos-backup/') && !path.endsWith('.json') && !path.endsWith('.xmp'));
      assert.equal(media.length, fixture.items.length, 'no item stored twice');
      const events = (await handle.fetchHistory()).events ?? [];
      const retried = events.some((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1);
      assert.ok(retried, 'the part was taken over by another attempt');
    });
  }
});
