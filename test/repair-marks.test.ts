// Repair marks in a disk manifest (a mark holds until a newer record of the item, seen by any
// process), the sample slices, --sample parsing and which S3 objects count as archived.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseSample, sliceOf } from '../src/cli/verify.js';
import { DiskManifest, type ManifestEntry } from '../src/manifest/manifest.js';
import { repairMarkFor } from '../src/manifest/repair.js';
import { isArchived } from '../src/sinks/storage-class.js';
import { tempDir } from './harness/tmp.js';

function entry(id: string, storedAt: string): ManifestEntry {
  return { id, key: `2021/07/${id}.jpg`, size: 3, sha256: 'ab'.repeat(32), creationTime: '2021-07-01T00:00:00Z', filename: `${id}.jpg`, source: 'library', storedAt };
}

describe('repair marks', () => {
  it('hold for the record they name, in every process, until the item is recorded again', async () => {
    const root = join(tempDir('marks'), 'dest');
    const writer = await DiskManifest.open(root);
    const first = entry('a', '2024-01-01T00:00:00.000Z');
    await writer.record(first);
    await writer.record(entry('b', '2024-01-01T00:00:00.000Z'));
    await writer.markForRepair(repairMarkFor(first, 'corrupt', 'sha256 differs'));
    assert.equal(writer.needsRepair('a'), true);
    assert.equal(writer.needsRepair('b'), false);
    assert.equal(writer.needsRepair('unknown'), false);

    const other = await DiskManifest.open(root);
    assert.equal(other.needsRepair('a'), true, 'another process reads the mark');
    await writer.refresh();
    assert.equal(writer.needsRepair('a'), true, 'reading its own record back keeps the mark');

    await writer.record(entry('a', '2024-01-02T00:00:00.000Z'));
    assert.equal(writer.needsRepair('a'), false, 'stored again');
    await other.refresh();
    assert.equal(other.needsRepair('a'), false, 'the other process sees the new record');
    assert.equal((await DiskManifest.open(root)).needsRepair('a'), false, 'and so does a fresh one');
  });
});

describe('verify samples', () => {
  it('put every id in exactly one slice, the same each time', () => {
    const ids = Array.from({ length: 300 }, (_, i) => `id-${i}`);
    const slices = ids.map((id) => sliceOf(id, 4));
    assert.ok(slices.every((s) => s >= 1 && s <= 4));
    assert.deepEqual(ids.map((id) => sliceOf(id, 4)), slices);
    for (let n = 1; n <= 4; n++) assert.ok(slices.filter((s) => s === n).length > 30, `slice ${n} gets a share`);
    assert.ok(ids.every((id) => sliceOf(id, 1) === 1));
  });

  it('--sample takes N/T with 1 <= N <= T', () => {
    assert.deepEqual(parseSample('2/5'), { n: 2, t: 5 });
    assert.deepEqual(parseSample(' 1 / 1 '), { n: 1, t: 1 });
    for (const bad of ['0/3', '4/3', '1/0', '1', '1/3/4', 'a/b', '-1/3', '1.5/3']) assert.throws(() => parseSample(bad), /--sample/, bad);
  });
});

describe('archived S3 objects', () => {
  it('are those in GLACIER, DEEP_ARCHIVE or an archive tier, not restored', () => {
    assert.equal(isArchived({}), false);
    assert.equal(isArchived({ StorageClass: 'STANDARD_IA' }), false);
    assert.equal(isArchived({ StorageClass: 'GLACIER_IR' }), false);
    assert.equal(isArchived({ StorageClass: 'GLACIER' }), true);
    assert.equal(isArchived({ StorageClass: 'DEEP_ARCHIVE', Restore: 'ongoing-request="true"' }), true);
    assert.equal(isArchived({ StorageClass: 'DEEP_ARCHIVE', Restore: 'ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"' }), false);
    assert.equal(isArchived({ StorageClass: 'INTELLIGENT_TIERING', ArchiveStatus: 'DEEP_ARCHIVE_ACCESS' }), true);
  });
});
