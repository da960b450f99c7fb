// Compaction of an S3 manifest on the real S3 server: segments merge into a gzipped snapshot, a
// new machine opens the manifest with one snapshot read plus the segments written since, a crash
// between writing the snapshot and deleting the segments loses nothing, a machine that missed
// merged segments starts again from the snapshot, and a later record still wins.
import assert from 'node:assert/strict';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { after, before, describe, it } from 'node:test';
import type { ManifestEntry } from '../src/manifest/manifest.js';
import { S3Manifest } from '../src/manifest/s3-manifest.js';
import { startS3Server, type S3TestServer } from './harness/s3.js';
import { tempDir } from './harness/tmp.js';

function entry(i: number, version = 1): ManifestEntry {
  return { id: `item-${i}`, key: `2020/01/IMG_${i}.jpg`, size: 1000 + i, sha256: `${version}`.padStart(64, '0'), source: 'library', storedAt: new Date(Date.UTC(2024, 0, 1, 0, 0, version)).toISOString() };
}

/** A manifest as a machine with its own cache folder opens it; counts the objects it reads. */
function onMachine(server: S3TestServer, prefix: string, compactAt = 10): { manifest: S3Manifest; gets: () => number; client: S3Client } {
  const previous = process.env.GPHOTOS_CACHE_DIR;
  process.env.GPHOTOS_CACHE_DIR = tempDir('machine-cache');
  const client = server.client();
  let gets = 0;
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'GetObjectCommand') gets += 1;
      return next(args);
    },
    { step: 'initialize' },
  );
  try {
    return { manifest: new S3Manifest(client, server.bucket, prefix, `test|${prefix}`, { compactAt }), gets: () => gets, client };
  } finally {
    process.env.GPHOTOS_CACHE_DIR = previous;
  }
}

async function keys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  return ((await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key ?? '');
}

/** Writes `count` segments of 50 records each, starting at item `from`. */
async function writeSegments(manifest: S3Manifest, from: number, count: number): Promise<void> {
  for (let s = 0; s < count; s++) {
    for (let i = 0; i < 50; i++) await manifest.record(entry(from + s * 50 + i));
    await manifest.flush();
  }
}

describe('S3 manifest compaction', () => {
  let server: S3TestServer;
  before(async () => {
    server = await startS3Server({ bucket: 'compaction' });
  });
  after(() => server?.stop());

  it('merges segments into one snapshot; a new machine reads it and the segments written since', async () => {
    const writer = onMachine(server, 'a');
    await writeSegments(writer.manifest, 0, 12);
    const tidied = await writer.manifest.tidy();
    assert.match(tidied ?? '', /merged 12 manifest segments \(600 records\)/);
    assert.deepEqual(await keys(writer.client, server.bucket, 'a/.gphotos-backup/manifest/'), [], 'merged segments deleted');
    assert.equal((await keys(writer.client, server.bucket, 'a/.gphotos-backup/snapshot/')).length, 1);
    await writeSegments(writer.manifest, 600, 3);
    await writer.manifest.record(entry(5, 2)); // a later record of an item in the snapshot
    await writer.manifest.flush();

    const reader = onMachine(server, 'a');
    await reader.manifest.refresh();
    assert.equal(reader.manifest.size, 750);
    assert.equal(reader.manifest.get('item-5')?.sha256, entry(5, 2).sha256, 'the later record wins over the snapshot');
    assert.equal(reader.manifest.get('item-700')?.key, entry(700).key);
    assert.equal(reader.gets(), 1 + 4, 'one snapshot and the four segments written since');
    assert.equal(await writer.manifest.tidy(), undefined, 'four segments are too few to merge');
  });

  it('loses nothing when a compaction stops between the snapshot and the deletes', async () => {
    const writer = onMachine(server, 'b');
    await writeSegments(writer.manifest, 0, 11);
    writer.client.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'DeleteObjectsCommand') throw new Error('worker killed');
        return next(args);
      },
      { step: 'initialize', name: 'killBeforeDelete' },
    );
    await assert.rejects(writer.manifest.tidy(), /worker killed/);
    writer.client.middlewareStack.remove('killBeforeDelete');
    assert.equal((await keys(writer.client, server.bucket, 'b/.gphotos-backup/manifest/')).length, 11, 'the segments are still there');

    const reader = onMachine(server, 'b');
    await reader.manifest.refresh();
    assert.equal(reader.manifest.size, 550);
    assert.equal(reader.gets(), 1, 'the snapshot covers the segments left behind: none of them is read');
    await writeSegments(writer.manifest, 550, 10);
    assert.match((await writer.manifest.tidy()) ?? '', /merged 21 manifest segments \(1050 records\).*deleted 22/);
  });

  it('starts again from the snapshot when segments were merged before this machine read them', async () => {
    const writer = onMachine(server, 'c');
    const reader = onMachine(server, 'c');
    await writeSegments(writer.manifest, 0, 2);
    await reader.manifest.refresh();
    assert.equal(reader.manifest.size, 100);
    await writeSegments(writer.manifest, 100, 10);
    await writer.manifest.tidy();
    await reader.manifest.refresh();
    assert.equal(reader.manifest.size, 600, 'the records of segments merged before this machine saw them');
    // A snapshot whose segments this machine read is taken without reading it again.
    await writeSegments(writer.manifest, 600, 10);
    await reader.manifest.refresh();
    const before = reader.gets();
    await writer.manifest.tidy();
    await reader.manifest.refresh();
    assert.equal(reader.manifest.size, 1100);
    assert.equal(reader.gets() - before, 1, 'only the new snapshot header was read');
    // Nothing but the newest snapshot is left.
    assert.equal((await keys(writer.client, server.bucket, 'c/.gphotos-backup/snapshot/')).length, 1);
  });
});
