// A video larger than 1 GiB goes to S3 through multipart with the worker's memory flat; the
// worker is killed with SIGKILL mid-upload, and after a restart the object is complete and no
// incomplete multipart upload is left behind.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { sha256Of } from '../src/cli/verify.js';
import { manifestFor, openSink, type S3Destination } from '../src/destination.js';
import { backup } from '../src/workflows/backup.js';
import { DEFAULT_BACKUP_OPTIONS, progressQuery } from '../src/workflows/messages.js';
import { liveProgress } from '../src/cli/live-progress.js';
import { incompleteUploads, startS3Server, type S3TestServer } from './harness/s3.js';
import { ACCOUNT, startStack, type Stack } from './harness/stack.js';
import { peakRssMb } from '../src/devserver/process.js';

const VIDEO = 1024 ** 3 + 64 * 1024 ** 2;

describe('a >1 GiB video to S3, with the worker killed mid-upload', () => {
  let stack: Stack;
  let s3: S3TestServer;
  let client: S3Client;

  before(async () => {
    [stack, s3] = await Promise.all([startStack({ preset: 'bigvideo', videoSize: VIDEO }), startS3Server({ bucket: 'photos' })]);
    Object.assign(process.env, s3.env());
    client = s3.client();
  });
  after(async () => {
    await stack?.close();
    await s3?.stop();
  });

  it('completes after the restart with the exact bytes and no incomplete upload; memory stays flat', async () => {
    const dest: S3Destination = { kind: 's3', bucket: 'photos', prefix: 'big', endpoint: s3.endpoint };
    const video = stack.emulator.library.items[0];
    assert.ok(video);
    let worker = await stack.spawnWorker('worker-1');
    const handle = await stack.client.workflow.start(backup, {
      taskQueue: stack.taskQueue,
      workflowId: 'backup/s3-big',
      args: [{ account: { account: ACCOUNT }, destination: dest, options: { ...DEFAULT_BACKUP_OPTIONS, processingWaitSeconds: 0, heartbeatTimeoutSeconds: 3 } }],
    });
    const deadline = Date.now() + 60_000;
    while ((await incompleteUploads(client, 'photos')) === 0) {
      assert.ok(Date.now() < deadline, 'an upload started');
      await new Promise((r) => setTimeout(r, 100));
    }
    // The workflow counts the batch when it completes; status shows the bytes moving before that.
    let live = await liveProgress(handle);
    while (live.storedBytes < 64 * 1024 ** 2) {
      assert.ok(Date.now() < deadline, `live progress shows the upload (${live.storedBytes} bytes)`);
      await new Promise((r) => setTimeout(r, 200));
      live = await liveProgress(handle);
    }
    assert.equal((await handle.query(progressQuery)).storedBytes, 0, 'the batch is still running');
    const peakBeforeKill = peakRssMb(worker.pid);
    worker.signal('SIGKILL');
    await worker.stop();
    worker = await stack.spawnWorker('worker-2');
    const summary = await handle.result();
    const peakAfter = peakRssMb(worker.pid);
    console.log(`worker peak RSS while uploading ${(VIDEO / 1024 ** 3).toFixed(2)} GiB: ${peakBeforeKill.toFixed(0)} MB (killed), ${peakAfter.toFixed(0)} MB (restarted, whole upload)`);
    // Buffering the video would need more than a GiB: flat means far below that.
    assert.ok(peakAfter < 600, `worker RSS stayed flat (${peakAfter.toFixed(0)} MB)`);

    assert.equal(summary.failed, 0);
    assert.equal(await incompleteUploads(client, 'photos'), 0, 'no incomplete multipart upload left');
    const entry = (await manifestFor(dest)).get(video.id);
    assert.ok(entry);
    assert.equal(entry.size, VIDEO);
    assert.equal(await sha256Of(openSink(dest), entry.key), (await stack.emulator.expected(video.id)).sha256);
  });
});
