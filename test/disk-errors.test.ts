// Errors of the local disk are destination errors: a full filesystem or a read-only one fails the
// backup at once (non-retryable), naming the path and the fix, without re-downloading anything.
// Short writes are finished; a torn last manifest line does not swallow the next record.
// The filesystems are small tmpfs mounts (root can mount them; otherwise those tests are skipped).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { DiskManifest, MANIFEST_DIR, type ManifestEntry } from '../src/manifest/manifest.js';
import { classifyDiskError, DestinationError } from '../src/sinks/errors.js';
import { writeFully } from '../src/sinks/write-fully.js';
import { backup } from '../src/workflows/backup.js';
import { DEFAULT_BACKUP_OPTIONS, type BackupInput } from '../src/workflows/messages.js';
import { fetchHistoryText } from './harness/history.js';
import { ACCOUNT, startStack, type Stack } from './harness/stack.js';
import { tempFilesUnder } from './harness/files.js';
import { tempDir } from './harness/tmp.js';

const canMount = process.getuid?.() === 0;
const mounted: string[] = [];

function mountTmpfs(sizeKiB: number): string {
  const dir = tempDir('tmpfs');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k`, 'tmpfs', dir]);
  mounted.push(dir);
  return dir;
}

/** The failure that ended the workflow, as the CLI would see it. */
async function workflowFailure(run: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await run.then(
    () => assert.fail('the backup should have failed'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof WorkflowFailedError, String(error));
  const cause = error.cause instanceof ActivityFailure ? error.cause.cause : error.cause;
  assert.ok(cause instanceof ApplicationFailure, String(cause));
  return cause;
}

describe('disk errors stop the backup at once, with the path and the fix', { skip: canMount ? false : 'needs root to mount a small tmpfs' }, () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ preset: 'mixed', items: 60 });
  });
  after(async () => {
    for (const dir of mounted) execFileSync('umount', ['-l', dir]);
    await stack?.close();
  });

  async function runBackup(dest: string, workflowId: string): Promise<unknown> {
    const input: BackupInput = { account: { account: ACCOUNT }, destination: { kind: 'disk', path: dest }, options: { ...DEFAULT_BACKUP_OPTIONS, processingWaitSeconds: 0 } };
    const { worker, close } = await stack.inProcessWorker();
    try {
      return await worker.runUntil(stack.client.workflow.execute(backup, { taskQueue: stack.taskQueue, workflowId, args: [input] }));
    } finally {
      await close();
    }
  }

  it('a full filesystem: one failure naming the path, no retries, no temp files', async (t) => {
    const dest = join(mountTmpfs(1024), 'photos');
    stack.emulator.resetCounters();
    const failure = await workflowFailure(runBackup(dest, 'disk-full'));
    assert.equal(failure.type, 'destination');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /the disk is full \(ENOSPC\)/);
    assert.ok(failure.message.includes(dest), `names the path: ${failure.message}`);
    assert.match(failure.message, /free some space/);
    const media = stack.emulator.counters().requests.media ?? 0;
    t.diagnostic(`full 1 MiB tmpfs: failed at once with "${failure.message}" after ${media} media requests for 60 items`);
    assert.ok(media <= 60 + 10, `no item was downloaded again and again (${media} media requests for 60 items)`);
    const history = await fetchHistoryText(stack.client, 'disk-full');
    assert.ok(!/"attempt":\s*[2-9]/.test(history), 'no download batch was retried');
    assert.deepEqual(tempFilesUnder(dest), [], 'no temp file left');
  });

  it('a read-only filesystem fails at once as read-only', async () => {
    const mount = mountTmpfs(1024);
    const dest = join(mount, 'photos');
    mkdirSync(dest);
    execFileSync('mount', ['-o', 'remount,ro', mount]);
    stack.emulator.resetCounters();
    const failure = await workflowFailure(runBackup(dest, 'read-only'));
    assert.equal(failure.type, 'destination');
    assert.match(failure.message, /read-only \(EROFS\): mount it read-write or choose another destination/);
    assert.ok(failure.message.includes(dest), failure.message);
    assert.ok((stack.emulator.counters().requests.media ?? 0) <= 4 * 2, 'stopped after the first writes');
  });
});

describe('writes and records that survive what disks do', () => {
  it('short writes are finished; a write of nothing is an error', async () => {
    const path = join(tempDir('short'), 'file');
    const handle = await open(path, 'w');
    const realWrite = handle.write.bind(handle);
    // A filesystem that takes at most 3 bytes per write(2).
    const stingy = Object.assign(Object.create(handle) as typeof handle, {
      write: (data: Buffer, offset: number, length: number, position: number | null) => realWrite(data, offset, Math.min(3, length), position),
    });
    await writeFully(stingy, Buffer.from('the whole line, every byte\n'));
    await handle.close();
    assert.equal(readFileSync(path, 'utf8'), 'the whole line, every byte\n');
    const stuck = Object.assign(Object.create(handle) as typeof handle, { write: () => Promise.resolve({ bytesWritten: 0, buffer: Buffer.alloc(0) }) });
    await assert.rejects(writeFully(stuck, Buffer.from('x')), DestinationError);
  });

  it('a manifest whose last line was torn gets the next record on a fresh line', async () => {
    const root = tempDir('torn');
    mkdirSync(join(root, MANIFEST_DIR));
    const entry = (id: string): ManifestEntry => ({ id, key: `2024/05/${id}.jpg`, size: 1, sha256: 'ab', source: 'library', storedAt: '2024-05-01T00:00:00Z' });
    const file = join(root, MANIFEST_DIR, 'manifest.jsonl');
    writeFileSync(file, `${JSON.stringify(entry('first'))}\n{"id":"torn","key":"2024/0`);
    const manifest = await DiskManifest.open(root);
    await manifest.record(entry('second'));
    await manifest.flush();
    const reopened = await DiskManifest.open(root);
    assert.ok(reopened.get('first'));
    assert.ok(reopened.get('second'), 'the record after the torn line is read back');
    assert.equal(reopened.get('torn'), undefined);
    assert.equal(readFileSync(file, 'utf8').split('\n').at(-1), '', 'the file ends with a whole line');
  });

  it('errno codes no retry can fix are destination errors with the fix; others stay as they are', () => {
    const error = (code: string) => Object.assign(new Error(code), { code, path: '/backup/2024/05/a.jpg' });
    for (const [code, text] of [
      ['ENOSPC', 'the disk is full'],
      ['EDQUOT', 'quota'],
      ['EROFS', 'read-only'],
      ['EACCES', 'permission denied'],
      ['ENAMETOOLONG', 'too long'],
      ['EFBIG', 'too large'],
    ] as const) {
      const classified = classifyDiskError(error(code), '/backup');
      assert.ok(classified instanceof DestinationError, code);
      assert.ok(classified.message.startsWith('/backup/2024/05/a.jpg: '), classified.message);
      assert.ok(classified.message.includes(text), classified.message);
    }
    const reset = error('ECONNRESET');
    assert.equal(classifyDiskError(reset, '/backup'), reset);
  });
});
