// Backups into a real S3 server (versitygw): the hostile library stored byte-exact with its
// metadata and safe keys, nothing partial left, a re-run that uploads and downloads nothing, and
// clear failures for a missing bucket and a bad s3:// URL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeleteObjectsCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { sha256Of } from '../src/cli/verify.js';
import { manifestFor, openSink, type S3Destination } from '../src/destination.js';
import type { EmulatedItem } from '../src/emulator/library.js';
import type { ManifestEntry } from '../src/manifest/manifest.js';
import { isSafeKey } from '../src/sinks/layout.js';
import { METADATA } from '../src/sinks/s3.js';
import { backup } from '../src/workflows/backup.js';
import { DEFAULT_BACKUP_OPTIONS, type BackupSummary } from '../src/workflows/messages.js';
import { runCli } from './harness/cli.js';
import { createS3User, incompleteUploads, startS3Server, type S3TestServer } from './harness/s3.js';
import { startS3FaultProxy } from './harness/s3-faults.js';
import { ACCOUNT, startStack, type Stack } from './harness/stack.js';

/** Every object's key with its ETag and LastModified (any rewrite changes LastModified). */
async function allObjects(client: S3Client, bucket: string, prefix?: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ...(prefix ? { Prefix: prefix } : {}), ...(token ? { ContinuationToken: token } : {}) }));
    for (const o of page.Contents ?? []) if (o.Key) out.set(o.Key, `${o.ETag ?? ''}@${o.LastModified?.toISOString() ?? ''}`);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** Media objects and sidecars only: each run appends its own records under .gphotos-backup/. */
async function listing(client: S3Client, bucket: string): Promise<Map<string, string>> {
  return new Map([...(await allObjects(client, bucket))].filter(([key]) => !key.includes('/.gphotos-backup/')));
}

describe('backup to S3', () => {
  let stack: Stack;
  let s3: S3TestServer;
  let client: S3Client;
  let dest: S3Destination;

  before(async () => {
    [stack, s3] = await Promise.all([startStack({ preset: 'hostile', processingReadyAfterMs: 0 }), startS3Server({ bucket: 'photos' })]);
    Object.assign(process.env, s3.env());
    client = s3.client();
    dest = { kind: 's3', bucket: 'photos', prefix: 'me/library', endpoint: s3.endpoint };
  });
  after(async () => {
    await stack?.close();
    await s3?.stop();
  });

  async function run(workflowId: string, target: S3Destination = dest, sidecars = true): Promise<BackupSummary> {
    const { worker, close } = await stack.inProcessWorker();
    try {
      return await worker.runUntil(
        stack.client.workflow.execute(backup, {
          taskQueue: stack.taskQueue,
          workflowId,
          args: [{ account: { account: ACCOUNT }, destination: target, options: { ...DEFAULT_BACKUP_OPTIONS, processingWaitSeconds: 0, sidecars } }],
        }),
      );
    } finally {
      await close();
    }
  }

  /** What a backup must store: app-created items; videos that finish processing do so at once here. */
  const readyItems = () => stack.emulator.library.items.filter((item) => item.appCreated && (!item.video || item.video.status === 'READY' || item.video.readyAfterMs !== undefined));

  /** The item is recorded in the destination's manifest and its object holds the original bytes. */
  async function assertStoredExactly(target: S3Destination, item: EmulatedItem): Promise<ManifestEntry> {
    const entry = (await manifestFor(target)).get(item.id);
    assert.ok(entry, `${JSON.stringify(item.filename)} recorded`);
    assert.equal(await sha256Of(openSink(target), entry.key), (await stack.emulator.expected(item.id)).sha256, `bytes of ${entry.key}`);
    return entry;
  }

  it('stores the hostile library: original bytes, metadata, safe keys, no incomplete uploads', async () => {
    const summary = await run('backup/s3/1');
    // Stuck and FAILED videos are not stored.
    const ready = readyItems();
    assert.equal(summary.stored, ready.length);
    for (const item of ready) {
      const entry = await assertStoredExactly(dest, item);
      assert.ok(isSafeKey(entry.key));
      const head = await client.send(new HeadObjectCommand({ Bucket: 'photos', Key: `me/library/${entry.key}` }));
      assert.equal(decodeURIComponent(head.Metadata?.[METADATA.mediaId] ?? ''), item.id);
      assert.equal(head.Metadata?.[METADATA.sha256], entry.sha256, 'the sha256 is in the object metadata');
      assert.equal(head.ContentType, item.mimeType);
    }
    const keys = [...(await listing(client, 'photos')).keys()];
    assert.equal(keys.length, 2 * ready.length, 'one object and one sidecar per item');
    assert.ok(keys.every((k) => k.startsWith('me/library/')), 'everything under the prefix');
    assert.ok(keys.every((k) => isSafeKey(k)), 'no unsafe key');
    assert.equal(await incompleteUploads(client, 'photos'), 0);
  });

  it('a re-run makes zero media requests and zero uploads', async () => {
    const before = await listing(client, 'photos');
    stack.emulator.resetCounters();
    const summary = await run('backup/s3/2');
    assert.equal(summary.stored, 0);
    assert.equal(stack.emulator.counters().requests.media ?? 0, 0);
    assert.deepEqual(await listing(client, 'photos'), before);
  });

  it('with the manifest lost, a re-run downloads to compare but uploads nothing: same key, same sha256', async () => {
    const records = [...(await allObjects(client, 'photos', 'me/library/.gphotos-backup/')).keys()];
    assert.ok(records.length > 0);
    await client.send(new DeleteObjectsCommand({ Bucket: 'photos', Delete: { Objects: records.map((Key) => ({ Key })) } }));
    const before = await listing(client, 'photos');
    stack.emulator.resetCounters();
    // A fresh worker process: this test process still holds the old manifest in memory.
    const worker = await stack.spawnWorker('manifest-lost');
    try {
      const summary = await stack.client.workflow.execute(backup, {
        taskQueue: stack.taskQueue,
        workflowId: 'backup/s3/manifest-lost',
        args: [{ account: { account: ACCOUNT }, destination: dest, options: { ...DEFAULT_BACKUP_OPTIONS, processingWaitSeconds: 0, sidecars: true } }],
      });
      assert.equal(summary.stored, 0, 'nothing uploaded');
      assert.equal(summary.skipped, before.size / 2, 'every item found in place');
    } finally {
      await worker.stop();
    }
    assert.deepEqual(await listing(client, 'photos'), before, 'no object or sidecar rewritten');
    const rewritten = [...(await allObjects(client, 'photos', 'me/library/.gphotos-backup/manifest/')).keys()];
    assert.ok(rewritten.length > 0, 'the manifest was written again');
  });

  it('completes when the S3 server is stopped mid-run and started again', async () => {
    const target: S3Destination = { ...dest, prefix: 'me/outage' };
    const ready = readyItems();
    stack.emulator.resetCounters();
    stack.emulator.addFault({ target: 'media', kind: 'slow', probability: 1, delayMs: 150 });
    const { worker, close } = await stack.inProcessWorker();
    try {
      const summary = await worker.runUntil(async () => {
        const handle = await stack.client.workflow.start(backup, {
          taskQueue: stack.taskQueue,
          workflowId: 'backup/s3/outage',
          args: [{ account: { account: ACCOUNT }, destination: target, options: { ...DEFAULT_BACKUP_OPTIONS, processingWaitSeconds: 0 } }],
        });
        while ((stack.emulator.counters().requests.media ?? 0) < 8) await new Promise((r) => setTimeout(r, 50));
        await s3.restart(3_000);
        const downloadedBeforeRestart = stack.emulator.counters().requests.media ?? 0;
        assert.ok(downloadedBeforeRestart < ready.length, 'the server went down mid-run');
        return handle.result();
      });
      // Only the videos Google failed to process are failures; no item failed for the outage.
      assert.equal(summary.failed, stack.emulator.library.items.filter((item) => item.appCreated && item.video?.status === 'FAILED').length);
      assert.equal(summary.stored, ready.length);
    } finally {
      stack.emulator.clearFaults();
      await close();
    }
    for (const item of ready) await assertStoredExactly(target, item);
    assert.equal(await incompleteUploads(client, 'photos'), 0);
  });

  it('retries S3 throttling (503 SlowDown) and 500s and completes byte-exact', async () => {
    const proxy = await startS3FaultProxy(s3.endpoint);
    const target: S3Destination = { ...dest, prefix: 'me/throttled', endpoint: proxy.endpoint };
    const ready = readyItems();
    proxy.setRules([
      { method: 'PUT', status: 503, every: 5 },
      { method: 'PUT', status: 500, every: 11 },
      { method: 'HEAD', status: 503, every: 6 },
    ]);
    try {
      const summary = await run('backup/s3/throttled', target, false);
      // An attempt that failed after storing some objects leaves them for the next attempt to
      // find in place (same sha256): those count as skipped, not stored twice.
      assert.equal(summary.stored + summary.skipped, ready.length, JSON.stringify(summary));
    } finally {
      await proxy.close();
    }
    assert.ok((proxy.injected[503] ?? 0) > 10 && (proxy.injected[500] ?? 0) > 5, `faults injected: ${JSON.stringify(proxy.injected)}`);
    const direct: S3Destination = { ...dest, prefix: 'me/throttled' };
    for (const item of ready) await assertStoredExactly(direct, item);
  });

  it('verify re-reads the objects; a missing bucket, wrong credentials, denied access and a bad URL fail clearly', async () => {
    const env = stack.env(s3.env());
    const verified = await runCli(['verify', '--dest', 's3://photos/me/library', '--s3-endpoint', s3.endpoint], env);
    assert.equal(verified.code, 0, verified.stderr + verified.stdout);

    await stack.spawnWorker('s3-worker');
    const missing = await runCli(['backup', '--dest', 's3://no-such-bucket/x', '--s3-endpoint', s3.endpoint, '--account', ACCOUNT, '--wait'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /s3:\/\/no-such-bucket\/x.*NoSuchBucket/s);

    await stack.spawnWorker('bad-credentials', { AWS_SECRET_ACCESS_KEY: 'not-the-secret', GPHOTOS_TASK_QUEUE: 'bad-credentials' });
    const denied = await runCli(['backup', '--dest', 's3://photos/x', '--s3-endpoint', s3.endpoint, '--account', ACCOUNT, '--wait'], { ...env, GPHOTOS_TASK_QUEUE: 'bad-credentials' });
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /s3:\/\/photos\/x.*SignatureDoesNotMatch.*credentials/s);

    // A user of the server without rights on the bucket.
    await createS3User(s3, 'outsider', 'outsider-secret-0123456789');
    await stack.spawnWorker('outsider', { AWS_ACCESS_KEY_ID: 'outsider', AWS_SECRET_ACCESS_KEY: 'outsider-secret-0123456789', GPHOTOS_TASK_QUEUE: 'outsider' });
    const outsider = await runCli(['backup', '--dest', 's3://photos/y', '--s3-endpoint', s3.endpoint, '--account', ACCOUNT, '--wait'], { ...env, GPHOTOS_TASK_QUEUE: 'outsider' });
    assert.equal(outsider.code, 1);
    assert.match(outsider.stderr, /s3:\/\/photos\/y.*AccessDenied.*credentials/s);

    const badUrl = await runCli(['backup', '--dest', 's3://Bad_Bucket/x', '--account', ACCOUNT], env);
    assert.equal(badUrl.code, 2);
    assert.match(badUrl.stderr, /not a valid S3 destination/);
  });
});
