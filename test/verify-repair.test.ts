// verify's levels and what follows from them, on the real dev server, the emulator and versitygw:
// `--level full` finds a deleted and a corrupted (same size) file or object, `--level quick` the
// deleted one; both are marked for repair, the next backup run fetches exactly those two again and
// replaces them, verify is clean afterwards, and a run after that fetches nothing. `--sample n/t`
// slices cover every item once.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { sha256Of, verifyDestination, type Sample } from '../src/cli/verify.js';
import { manifestFor, openSink, type DestinationSpec, type DiskDestination, type S3Destination } from '../src/destination.js';
import { DiskManifest, type ManifestEntry } from '../src/manifest/manifest.js';
import { encodeMetadataValue, METADATA } from '../src/sinks/s3.js';
import { backup } from '../src/workflows/backup.js';
import { DEFAULT_BACKUP_OPTIONS, type BackupSummary } from '../src/workflows/messages.js';
import { runCli } from './harness/cli.js';
import { startS3Server, type S3TestServer } from './harness/s3.js';
import { ACCOUNT, startStack, type Stack } from './harness/stack.js';
import { tempDir } from './harness/tmp.js';

interface Finding {
  readonly key: string;
  readonly id: string;
}

interface JsonReport {
  readonly level: string;
  readonly sample: string | null;
  readonly checked: number;
  readonly missing: Finding[];
  readonly corrupt: Finding[];
}

const keyAndId = (entry: Finding): Finding => ({ key: entry.key, id: entry.id });

describe('verify levels, and the run after verify repairs what it found', () => {
  let stack: Stack;
  let s3: S3TestServer;
  let client: S3Client;
  let runs = 0;

  before(async () => {
    [stack, s3] = await Promise.all([startStack({ preset: 'mixed', items: 40, processingReadyAfterMs: 0 }), startS3Server({ bucket: 'photos' })]);
    Object.assign(process.env, s3.env());
    client = s3.client();
  });
  after(async () => {
    await stack?.close();
    await s3?.stop();
  });

  async function run(destination: DestinationSpec): Promise<BackupSummary> {
    const { worker, close } = await stack.inProcessWorker();
    try {
      runs += 1;
      return await worker.runUntil(
        stack.client.workflow.execute(backup, {
          taskQueue: stack.taskQueue,
          workflowId: `backup/verify-repair/${runs}`,
          args: [{ account: { account: ACCOUNT }, destination, options: { ...DEFAULT_BACKUP_OPTIONS, processingWaitSeconds: 0 } }],
        }),
      );
    } finally {
      await close();
    }
  }

  /** `verify --json` through the CLI, as a user runs it. */
  async function verify(dest: string, ...args: string[]): Promise<{ code: number | null; report: JsonReport }> {
    const endpoint = dest.startsWith('s3://') ? ['--s3-endpoint', s3.endpoint] : [];
    const result = await runCli(['verify', '--dest', dest, ...endpoint, '--json', ...args], stack.env(s3.env()));
    assert.ok(result.stdout.trim().startsWith('{'), result.stderr + result.stdout);
    return { code: result.code, report: JSON.parse(result.stdout) as JsonReport };
  }

  /** Two photos of the manifest, in a fixed order: one to damage, one to delete. */
  function twoPhotos(entries: Iterable<ManifestEntry>): [ManifestEntry, ManifestEntry] {
    const photos = [...entries].filter((entry) => !stack.emulator.library.items.find((item) => item.id === entry.id)?.video).sort((a, b) => a.key.localeCompare(b.key));
    const [damaged, deleted] = photos;
    assert.ok(damaged && deleted && damaged.size > 0);
    return [damaged, deleted];
  }

  /** Levels find what they can, and the next run fetches exactly the two bad items again. */
  async function assertFoundAndRepaired(dest: string, spec: DestinationSpec, damaged: ManifestEntry, deleted: ManifestEntry): Promise<void> {
    const quick = await verify(dest, '--level', 'quick');
    assert.equal(quick.code, 1);
    assert.equal(quick.report.level, 'quick');
    assert.deepEqual(quick.report.missing.map(keyAndId), [keyAndId(deleted)]);
    assert.deepEqual(quick.report.corrupt, [], 'same size (and, in S3, same media id): quick cannot tell');

    const full = await verify(dest, '--level', 'full');
    assert.equal(full.code, 1);
    assert.equal(full.report.level, 'full');
    assert.equal(full.report.sample, null);
    assert.deepEqual(full.report.missing.map(keyAndId), [keyAndId(deleted)]);
    assert.deepEqual(full.report.corrupt.map(keyAndId), [keyAndId(damaged)]);

    stack.emulator.resetCounters();
    const summary = await run(spec);
    const counters = stack.emulator.counters();
    assert.equal(counters.requests.media ?? 0, 2, 'two media requests');
    assert.deepEqual(Object.keys(counters.mediaByItem).sort(), [damaged.id, deleted.id].sort(), 'for exactly the two bad items');
    assert.equal(summary.stored, 2);

    const after = await verify(dest, '--level', 'full');
    assert.equal(after.code, 0, JSON.stringify(after.report));
    assert.equal(after.report.checked, (await manifestFor(spec)).size);
    const sink = openSink(spec);
    for (const entry of [damaged, deleted]) {
      const now = (await manifestFor(spec)).get(entry.id);
      assert.equal(now?.key, entry.key, 'repaired under the same key');
      assert.equal(await sha256Of(sink, entry.key), (await stack.emulator.expected(entry.id)).sha256, `bytes of ${entry.key}`);
    }

    stack.emulator.resetCounters();
    await run(spec);
    assert.equal(stack.emulator.counters().requests.media ?? 0, 0, 'repaired items are no longer marked');
  }

  describe('on disk', () => {
    const dest = join(tempDir('verify'), 'photos');
    const spec: DiskDestination = { kind: 'disk', path: dest };

    it('full finds a corrupt file of the right size and a deleted file, quick the deleted one; the next run repairs exactly those', async () => {
      await run(spec);
      const [damaged, deleted] = twoPhotos((await DiskManifest.open(dest)).values());
      const damagedPath = join(dest, ...damaged.key.split('/'));
      writeFileSync(damagedPath, randomBytes(damaged.size));
      assert.equal(statSync(damagedPath).size, damaged.size);
      rmSync(join(dest, ...deleted.key.split('/')));

      await assertFoundAndRepaired(dest, spec, damaged, deleted);
      const marks = readFileSync(join(dest, '.gphotos-backup', 'repair.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { id: string; problem: string });
      assert.deepEqual(marks.map((m) => `${m.id}:${m.problem}`).sort(), [`${damaged.id}:corrupt`, `${deleted.id}:missing`].sort(), 'one mark per bad item');
    });

    it('--sample 1/3, 2/3 and 3/3 together check every item exactly once', async () => {
      const manifest = await DiskManifest.open(dest);
      const all = [...manifest.values()].map((entry) => entry.id).sort();
      const seen: string[] = [];
      let counted = 0;
      for (let n = 1; n <= 3; n++) {
        const sample: Sample = { n, t: 3 };
        const report = await verifyDestination(openSink(spec), manifest, { level: 'quick', sample, onEntry: (entry, checked) => checked && seen.push(entry.id) });
        assert.equal(report.sample, `${n}/3`);
        const cli = await verify(dest, '--level', 'quick', '--sample', `${n}/3`);
        assert.equal(cli.code, 0);
        assert.equal(cli.report.checked, report.checked, 'the CLI checks the same slice');
        counted += cli.report.checked;
      }
      assert.deepEqual(seen.sort(), all);
      assert.equal(counted, all.length);
    });
  });

  describe('in S3', () => {
    const dest = 's3://photos/me/repair';

    it('full finds a deleted object and one overwritten with other bytes of the same size, quick the deleted one; the next run repairs exactly those', async () => {
      const target: S3Destination = { kind: 's3', bucket: 'photos', prefix: 'me/repair', endpoint: s3.endpoint };
      await run(target);
      const [damaged, deleted] = twoPhotos((await manifestFor(target)).values());
      // Other bytes of the same size under the same media id, as a tool copying the metadata would leave them.
      await client.send(
        new PutObjectCommand({
          Bucket: 'photos',
          Key: `me/repair/${damaged.key}`,
          Body: randomBytes(damaged.size),
          Metadata: { [METADATA.mediaId]: encodeMetadataValue(damaged.id) },
        }),
      );
      await client.send(new DeleteObjectCommand({ Bucket: 'photos', Key: `me/repair/${deleted.key}` }));

      await assertFoundAndRepaired(dest, target, damaged, deleted);
      const marks = await client.send(new ListObjectsV2Command({ Bucket: 'photos', Prefix: 'me/repair/.gphotos-backup/repair/' }));
      assert.equal(marks.Contents?.length, 2, 'one repair segment per verify that found something');
    });

    // The S3 sink takes an object carrying this item's media id and the downloaded bytes' sha256 in
    // its metadata (or tag) for already stored, and uploads nothing: right for a lost manifest
    // record, wrong for a repair, where the recorded sha256 is a claim the bytes no longer meet.
    it('an object whose bytes changed under intact metadata is replaced by the next run', async () => {
      const target: S3Destination = { kind: 's3', bucket: 'photos', prefix: 'me/repair', endpoint: s3.endpoint };
      const [rotten] = twoPhotos((await manifestFor(target)).values());
      await client.send(
        new PutObjectCommand({
          Bucket: 'photos',
          Key: `me/repair/${rotten.key}`,
          Body: randomBytes(rotten.size),
          Metadata: { [METADATA.mediaId]: encodeMetadataValue(rotten.id), [METADATA.sha256]: rotten.sha256 },
        }),
      );
      const found = await verify(dest, '--level', 'full');
      assert.deepEqual(found.report.corrupt.map(keyAndId), [keyAndId(rotten)]);
      stack.emulator.resetCounters();
      await run(target);
      assert.equal(stack.emulator.counters().requests.media ?? 0, 1, 'fetched again');
      assert.equal(await sha256Of(openSink(target), rotten.key), (await stack.emulator.expected(rotten.id)).sha256, 'and replaced');
    });
  });
});
