// End to end on the real dev server, a real worker and the emulator: the hostile library is
// backed up to disk exactly (bytes, names, mtimes), and a re-run fetches nothing.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DiskManifest } from '../src/manifest/manifest.js';
import { captureTimeMs } from '../src/sinks/layout.js';
import { backup } from '../src/workflows/backup.js';
import { DEFAULT_BACKUP_OPTIONS, type BackupInput, type BackupSummary } from '../src/workflows/messages.js';
import { fetchHistoryText } from './harness/history.js';
import { ACCOUNT, startStack, type Stack } from './harness/stack.js';
import { tempFilesUnder, walk } from './harness/files.js';
import { tempDir } from './harness/tmp.js';

describe('backup of the hostile library to disk', () => {
  let stack: Stack;
  const parent = tempDir('dest');
  const dest = join(parent, 'backup');
  let input: BackupInput;

  before(async () => {
    stack = await startStack({ preset: 'hostile', processingReadyAfterMs: 2_000 });
    input = {
      account: { account: ACCOUNT },
      destination: { kind: 'disk', path: dest },
      options: { ...DEFAULT_BACKUP_OPTIONS, concurrency: 3, sidecars: true, processingWaitSeconds: 6, processingRetrySeconds: 2, heartbeatTimeoutSeconds: 10 },
    };
  });
  after(() => stack?.close());

  async function run(workflowId: string): Promise<BackupSummary> {
    const { worker, close } = await stack.inProcessWorker();
    try {
      return await worker.runUntil(stack.client.workflow.execute(backup, { taskQueue: stack.taskQueue, workflowId, args: [input] }));
    } finally {
      await close();
    }
  }

  it('stores every READY item once with the original bytes and mtimes, nothing outside, no temp files', async () => {
    const summary = await run('backup/hostile/1');
    const lib = stack.emulator.library.items.filter((item) => item.appCreated);
    const failedVideos = lib.filter((item) => item.video?.status === 'FAILED');
    const stuck = lib.filter((item) => item.video?.status === 'PROCESSING' && item.video.readyAfterMs === undefined);
    const expectedStored = lib.filter((item) => !failedVideos.includes(item) && !stuck.includes(item));

    assert.equal(summary.listed, lib.length);
    assert.equal(summary.stored, expectedStored.length);
    assert.equal(summary.failed, failedVideos.length);
    assert.deepEqual(summary.stillProcessing.map((d) => d.id).sort(), stuck.map((item) => item.id).sort());

    const manifest = await DiskManifest.open(dest);
    assert.equal(manifest.size, expectedStored.length);
    const keys = new Set<string>();
    for (const item of expectedStored) {
      const entry = manifest.get(item.id);
      assert.ok(entry, `${JSON.stringify(item.filename)} is in the manifest`);
      assert.ok(!keys.has(entry.key), `key ${entry.key} used once`);
      keys.add(entry.key);
      const path = join(dest, ...entry.key.split('/'));
      const bytes = readFileSync(path);
      const expected = await stack.emulator.expected(item.id);
      assert.equal(createHash('sha256').update(bytes).digest('hex'), expected.sha256, `bytes of ${JSON.stringify(item.filename)}`);
      assert.equal(entry.sha256, expected.sha256);
      const captured = captureTimeMs(item.omit?.includes('creationTime') || item.omit?.includes('mediaMetadata') ? undefined : item.creationTime);
      if (captured === undefined) {
        // Undated (no date from Google, or the bare epoch): the documented folder, the time of storing.
        assert.match(entry.key, /^unknown-date\//, `${entry.key} is in the undated folder`);
        assert.ok(Date.now() - statSync(path).mtimeMs < 10 * 60_000, `mtime of undated ${entry.key} is when it was stored`);
      } else {
        assert.equal(Math.floor(statSync(path).mtimeMs / 1000), Math.floor(captured / 1000), `mtime of ${entry.key}`);
      }
      const named = item.filename !== '' && !item.omit?.includes('filename');
      assert.equal(entry.filename, named ? item.filename : undefined, `manifest keeps the name as Google gave it (${entry.key})`);
      if (!named) assert.match(entry.key.split('/').pop() ?? '', /^item-[0-9a-f]{12}(\.[a-z0-9]+)?$/, `a nameless item is named from its id (${entry.key})`);
      assert.ok(Buffer.byteLength(entry.key.split('/').pop() ?? '') <= 255);
      const sidecar = JSON.parse(readFileSync(`${path}.json`, 'utf8')) as { id: string; baseUrl?: string; filename?: string };
      assert.equal(sidecar.id, item.id);
      assert.equal(sidecar.baseUrl, undefined);
      assert.equal(sidecar.filename, named ? item.filename : undefined, 'the sidecar holds what Google gave');
    }

    assert.deepEqual(readdirSync(parent), ['backup'], 'nothing was written outside the destination');
    assert.deepEqual(tempFilesUnder(dest), [], 'no temp files left');
    const files = walk(dest).map((path) => relative(dest, path));
    const dataFiles = files.filter((f) => !f.startsWith('.gphotos-backup/') && !f.endsWith('.json'));
    assert.deepEqual(new Set(dataFiles), keys);
    assert.ok(dataFiles.every((f) => /^(\d{4}\/\d{2}|unknown-date)\/[^/]+$/.test(f)), 'layout YYYY/MM/name');
    const sameName = [...keys].filter((k) => k.startsWith('2021/07/IMG_0001'));
    assert.ok(sameName.includes('2021/07/IMG_0001.JPG') && sameName.some((k) => /^2021\/07\/IMG_0001~[0-9a-f]{6}\.JPG$/.test(k)), 'stable id suffixes for same names');

    const history = await fetchHistoryText(stack.client, 'backup/hostile/1');
    for (const secret of stack.emulator.issuedTokens()) assert.ok(!history.includes(secret), 'no token in history');
    assert.ok(!history.includes('/lr/'), 'no baseUrl in history');
  });

  it('a re-run on the unchanged library makes zero media requests', async () => {
    stack.emulator.resetCounters();
    const summary = await run('backup/hostile/2');
    assert.equal(stack.emulator.counters().requests.media ?? 0, 0);
    assert.equal(summary.stored, 0);
    const lib = stack.emulator.library.items.filter((item) => item.appCreated && item.video?.status !== 'FAILED' && !(item.video?.status === 'PROCESSING' && item.video.readyAfterMs === undefined));
    assert.equal(summary.skipped, lib.length);
  });
});
