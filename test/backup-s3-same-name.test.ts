// Hundreds of photos with one name from one month, backed up to a real S3 server by two workers
// on one task queue, with the server's HEAD answers held back so that puts for one name overlap:
// every photo ends up in the bucket under its own key, byte-exact, with its own sidecar.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { text } from 'node:stream/consumers';
import { sha256Of } from '../src/cli/verify.js';
import { manifestFor, openSink, type S3Destination } from '../src/destination.js';
import { backup } from '../src/workflows/backup.js';
import { DEFAULT_BACKUP_OPTIONS } from '../src/workflows/messages.js';
import { incompleteUploads, startS3Server, type S3TestServer } from './harness/s3.js';
import { startS3FaultProxy, type S3FaultProxy } from './harness/s3-faults.js';
import { ACCOUNT, startStack, type Stack } from './harness/stack.js';

const ITEMS = 400;

async function keysUnder(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

describe(`backup of ${ITEMS} photos named IMG_0001.JPG from one month, two workers, to S3`, () => {
  let stack: Stack;
  let s3: S3TestServer;
  let proxy: S3FaultProxy;

  before(async () => {
    [stack, s3] = await Promise.all([startStack({ preset: 'same-name', items: ITEMS }), startS3Server({ bucket: 'photos' })]);
    Object.assign(process.env, s3.env());
    proxy = await startS3FaultProxy(s3.endpoint);
  });
  after(async () => {
    await proxy?.close();
    await stack?.close();
    await s3?.stop();
  });

  it('stores every photo under its own key, byte-exact, with its sidecar, and says so', async (t) => {
    // Both workers reach S3 through the proxy, which answers every HEAD late.
    proxy.setRules([{ method: 'HEAD', delayMs: 50, every: 1 }]);
    const dest: S3Destination = { kind: 's3', bucket: 'photos', prefix: 'same', endpoint: proxy.endpoint };
    await stack.spawnWorker('second-worker');
    // At most two batches here: the other batches in flight go to the second worker.
    const { worker, close } = await stack.inProcessWorker(2);
    try {
      const summary = await worker.runUntil(
        stack.client.workflow.execute(backup, {
          taskQueue: stack.taskQueue,
          workflowId: 'backup/s3/same-name',
          args: [{ account: { account: ACCOUNT }, destination: dest, options: { ...DEFAULT_BACKUP_OPTIONS, sidecars: true } }],
        }),
      );
      assert.equal(summary.stored, ITEMS, JSON.stringify(summary));
      assert.equal(summary.failed, 0);
      assert.equal(summary.skipped, 0);
    } finally {
      await close();
    }
    assert.ok(proxy.delayed >= ITEMS, `HEADs held back: ${proxy.delayed}`);
    const history = await stack.client.workflow.getHandle('backup/s3/same-name').fetchHistory();
    const workers = new Set((history.events ?? []).map((e) => e.activityTaskStartedEventAttributes?.identity).filter((id) => id));
    assert.equal(workers.size, 2, `batches ran on ${[...workers].join(', ')}`);

    // Read back directly from the server.
    const direct: S3Destination = { ...dest, endpoint: s3.endpoint };
    const sink = openSink(direct);
    const manifest = await manifestFor(direct);
    const items = stack.emulator.library.items;
    assert.equal(items.length, ITEMS);
    const keys = new Set<string>();
    for (const item of items) {
      const entry = manifest.get(item.id);
      assert.ok(entry, `${item.id} recorded`);
      assert.ok(entry.key.startsWith('2024/05/IMG_0001'), entry.key);
      keys.add(entry.key);
      assert.equal(await sha256Of(sink, entry.key), (await stack.emulator.expected(item.id)).sha256, `bytes of ${item.id} at ${entry.key}`);
      const sidecar = JSON.parse(await text(sink.read(`${entry.key}.json`))) as { id?: string };
      assert.equal(sidecar.id, item.id, `sidecar of ${entry.key}`);
    }
    assert.equal(keys.size, ITEMS, 'a distinct key for every photo');
    const client = s3.client();
    const stored = (await keysUnder(client, 'photos', 'same/')).filter((key) => !key.startsWith('same/.gphotos-backup/'));
    assert.equal(stored.length, 2 * ITEMS, 'one object and one sidecar per photo, nothing else');
    assert.equal(await incompleteUploads(client, 'photos'), 0);
    t.diagnostic(`${ITEMS} photos named IMG_0001.JPG, 2 workers, ${proxy.delayed} HEADs held back: ${keys.size} distinct keys, all byte-exact, ${stored.length} objects`);
  });
});
