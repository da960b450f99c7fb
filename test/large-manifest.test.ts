// A destination that already holds many items, with the manifest written directly: 50,000
// synthetic records ahead of the real ones. A backup into it stores exactly the new photos
// (byte-exact), skips the recorded ones without a request, and rebuilds the index in the cache
// when it does not match the manifest, when it is lost and when it is damaged. Memory and time at
// a million items are measured by `npm run bench`, not here.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { syntheticLines, syntheticEntry } from '../bench/synthetic.js';
import { DiskManifest } from '../src/manifest/manifest.js';
import { FINDINGS_KEPT, verifyDestination } from '../src/cli/verify.js';
import { openSink } from '../src/destination.js';
import { indexFileFor } from '../src/manifest/indexed.js';
import { runCli } from './harness/cli.js';
import { ACCOUNT, startStack, type Stack } from './harness/stack.js';
import { tempDir } from './harness/tmp.js';

const SYNTHETIC = 50_000;

function sha256Of(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

describe('a destination with a large manifest', () => {
  let stack: Stack;
  let cache: string;
  const dest = join(tempDir('large-manifest'), 'photos');
  const manifestFile = join(dest, '.gphotos-backup', 'manifest.jsonl');
  const worker = () => stack.spawnWorker('worker', { GPHOTOS_CACHE_DIR: cache });
  const backup = async (stored: number, there: number) => {
    const result = await runCli(['backup', '--dest', dest, '--account', ACCOUNT, '--wait', '--processing-wait', '0'], stack.env());
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`${stored} stored( \\([^)]*\\))?, ${there} already there, 0 failed`));
    return /^Backup (\S+) /m.exec(result.stdout)?.[1] ?? '';
  };

  before(async () => {
    stack = await startStack({ preset: 'large', items: 40 });
    cache = tempDir('worker-cache');
  });
  after(() => stack?.close());

  it('stores only the new photos, byte-exact, after the manifest was written directly', async () => {
    const first = await worker();
    await backup(40, 0);
    // Rewrite the manifest: 50,000 records ahead of the 40 real ones, as a long-lived destination has.
    const real = readFileSync(manifestFile, 'utf8');
    writeFileSync(manifestFile, `${syntheticLines(0, SYNTHETIC)}${real}`);
    const added = stack.emulator.addItems(10, Date.UTC(2013, 6, 1, 12, 0));
    stack.emulator.resetCounters();
    await backup(10, 40);
    assert.equal(stack.emulator.counters().requests.media, 10, 'one media request per new photo, none for the 40 recorded');
    const manifest = await DiskManifest.open(dest);
    try {
      assert.equal(manifest.size, SYNTHETIC + 50);
      assert.equal(manifest.get(syntheticEntry(12_345).id)?.key, syntheticEntry(12_345).key, 'a record from the rewritten start of the manifest');
      for (const item of added) {
        const entry = manifest.get(item.id);
        assert.ok(entry, `${item.id} recorded`);
        assert.equal(sha256Of(join(dest, ...entry.key.split('/'))), entry.sha256);
        assert.equal(entry.sha256, (await stack.emulator.expected(item.id)).sha256, 'the bytes the emulator serves');
      }
    } finally {
      manifest.close();
    }
    await first.stop();
  });

  it('rebuilds a lost index from the manifest', async () => {
    const index = indexFileFor(`disk:${dest}`, { GPHOTOS_CACHE_DIR: cache });
    assert.ok(existsSync(index), 'the worker kept its index in its cache folder');
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${index}${suffix}`, { force: true });
    const second = await worker();
    stack.emulator.addItems(5, Date.UTC(2014, 1, 1, 12, 0));
    stack.emulator.resetCounters();
    await backup(5, 50);
    assert.equal(stack.emulator.counters().requests.media, 5);
    assert.ok(existsSync(index), 'the index is there again');
    await second.stop();
  });

  it('verify reports many bad items without keeping them all: counts, the first 1000, each one as found', async () => {
    const root = join(tempDir('verify-many'), 'photos');
    mkdirSync(join(root, '.gphotos-backup'), { recursive: true });
    writeFileSync(join(root, '.gphotos-backup', 'manifest.jsonl'), syntheticLines(0, 1500));
    const manifest = await DiskManifest.open(root);
    let found = 0;
    try {
      const report = await verifyDestination(openSink({ kind: 'disk', path: root }), manifest, { level: 'quick', onFinding: () => (found += 1) });
      assert.deepEqual([report.checked, report.missingCount, report.missing.length, found], [1500, 1500, FINDINGS_KEPT, 1500]);
      assert.ok(manifest.needsRepair(syntheticEntry(1499).id), 'the last one is marked for repair too');
    } finally {
      manifest.close();
    }
    assert.equal(readFileSync(join(root, '.gphotos-backup', 'repair.jsonl'), 'utf8').trim().split('\n').length, 1500);
  });

  it('rebuilds a damaged index', async () => {
    const index = indexFileFor(`disk:${dest}`, { GPHOTOS_CACHE_DIR: cache });
    for (const suffix of ['-wal', '-shm']) rmSync(`${index}${suffix}`, { force: true });
    writeFileSync(index, 'this is not a database '.repeat(1000));
    const third = await worker();
    stack.emulator.resetCounters();
    const workflowId = await backup(0, 55);
    assert.equal(stack.emulator.counters().requests.media ?? 0, 0);
    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    const batches = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'downloadBatch');
    assert.equal(batches.length, 0, 'the listing left out every stored item: no download batch was started');
    await third.stop();
  });
});
