// One library across sources: photos backed up from the Library API first, then found in a
// Takeout (same uploaded name and capture time): the Takeout original replaces the API rendition
// in place, the manifest says what it replaced, and neither route stores the photo again.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ZipFile } from 'yazl';
import { manifestFor, openSink, type DestinationSpec } from '../src/destination.js';
import { startS3Server, type S3TestServer } from './harness/s3.js';
import { backup } from '../src/workflows/backup.js';
import { importTakeout } from '../src/workflows/import-takeout.js';
import { DEFAULT_BACKUP_OPTIONS } from '../src/workflows/messages.js';
import { DEFAULT_TAKEOUT_OPTIONS } from '../src/workflows/takeout-messages.js';
import type { EmulatedItem } from '../src/emulator/library.js';
import { ACCOUNT, startStack, type Stack } from './harness/stack.js';
import { tempDir } from './harness/tmp.js';

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A one-part Takeout holding these photos under their names, with other bytes (the originals) and their JSON. */
async function takeoutOf(dir: string, items: readonly EmulatedItem[]): Promise<{ part: string; originals: Map<string, Buffer> }> {
  const zip = new ZipFile();
  const originals = new Map<string, Buffer>();
  for (const item of items) {
    const original = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe1]), randomBytes(3000)]);
    originals.set(item.id, original);
    const seconds = Math.floor(Date.parse(item.creationTime) / 1000);
    const folder = `Takeout/Google Photos/Photos from ${new Date(item.creationTime).getUTCFullYear()}`;
    zip.addBuffer(original, `${folder}/${item.filename}`);
    // The first photo's page URL carries the API's id (unconfirmed that Google does this); the second's an id of its own.
    const url = `https://photos.google.com/photo/${items.indexOf(item) === 0 ? item.id : `AF1Qip${item.id.slice(0, 8)}`}`;
    const json = { title: item.filename, photoTakenTime: { timestamp: String(seconds), formatted: '' }, geoDataExif: { latitude: 48.85, longitude: 2.29, altitude: 80 }, url };
    zip.addBuffer(Buffer.from(JSON.stringify(json, null, 2)), `${folder}/${item.filename}.supplemental-metadata.json`);
  }
  const part = join(dir, 'takeout-20250102T030405Z-001.zip');
  await new Promise<void>((resolve, reject) => {
    zip.outputStream.pipe(createWriteStream(part)).on('close', resolve).on('error', reject);
    zip.end();
  });
  return { part, originals };
}

async function readAll(destination: DestinationSpec, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of openSink(destination).read(key) as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('API backup, then Takeout', () => {
  let stack: Stack;
  let s3: S3TestServer;
  before(async () => {
    [stack, s3] = await Promise.all([startStack({ preset: 'mixed', items: 12 }), startS3Server({ bucket: 'photos' })]);
    Object.assign(process.env, s3.env());
  });
  after(async () => {
    await stack?.close();
    await s3?.stop();
  });

  it('on disk: the Takeout original replaces the API copy in place; a later API backup and a re-import store nothing', async () => {
    await scenario({ kind: 'disk', path: join(tempDir('supersede'), 'photos') }, 'disk');
  });

  it('in S3: the same', async () => {
    await scenario({ kind: 's3', bucket: 'photos', prefix: 'both', endpoint: s3.endpoint }, 's3');
  });

  async function scenario(destination: DestinationSpec, name: string): Promise<void> {
    const account = { account: ACCOUNT };
    const { worker, close } = await stack.inProcessWorker();
    try {
      await worker.runUntil(async () => {
        const run = (workflowId: string) => stack.client.workflow.execute(backup, { taskQueue: stack.taskQueue, workflowId, args: [{ account, destination, options: { ...DEFAULT_BACKUP_OPTIONS, processingWaitSeconds: 0 } }] });
        const first = await run(`backup/supersede-1-${name}`);
        assert.ok(first.stored > 2);
        const photos = stack.emulator.library.items.filter((item) => item.appCreated && item.kind === 'photo' && !item.omit?.length && Date.parse(item.creationTime) % 1000 === 0).slice(0, 2);
        assert.equal(photos.length, 2, 'two photos with whole-second capture times');
        const manifest = await manifestFor(destination);
        const apiEntries = photos.map((item) => manifest.get(item.id));
        const { part, originals } = await takeoutOf(tempDir('supersede-takeout'), photos);
        const imported = await stack.client.workflow.execute(importTakeout, { taskQueue: stack.taskQueue, workflowId: `takeout/supersede-${name}`, args: [{ destination, parts: [part], options: DEFAULT_TAKEOUT_OPTIONS }] });
        assert.equal(imported.stored, 2);

        const after = await manifestFor(destination);
        for (const [i, item] of photos.entries()) {
          const api = apiEntries[i];
          assert.ok(api, `${item.filename} was backed up from the API`);
          const entry = after.get(item.id);
          assert.ok(entry, `${item.filename} keeps its record`);
          assert.equal(entry.key, api.key, 'replaced in place, under the same name');
          assert.equal(entry.source, 'takeout');
          assert.deepEqual(entry.supersedes, { source: 'library', size: api.size, sha256: api.sha256, storedAt: api.storedAt, by: i === 0 ? 'url' : 'name-and-time' });
          const original = originals.get(item.id) as Buffer;
          assert.equal(entry.sha256, sha256(original));
          assert.equal(sha256(await readAll(destination, entry.key)), sha256(original), 'the file holds the Takeout original');
          assert.match((await readAll(destination, `${entry.key}.json`)).toString('utf8'), /photoTakenTime/, 'the Takeout JSON beside it');
          assert.match((await readAll(destination, `${entry.key}.xmp`)).toString('utf8'), /<exif:GPSLatitude>48,/);
        }

        stack.emulator.resetCounters();
        const again = await run(`backup/supersede-2-${name}`);
        assert.equal(again.stored, 0);
        assert.equal(stack.emulator.counters().requests.media ?? 0, 0, 'the API backup fetches nothing again');
        const reimport = await stack.client.workflow.execute(importTakeout, { taskQueue: stack.taskQueue, workflowId: `takeout/supersede-2-${name}`, args: [{ destination, parts: [part], options: DEFAULT_TAKEOUT_OPTIONS }] });
        assert.equal(reimport.stored, 0);
        assert.equal(reimport.skipped, 2);
      });
    } finally {
      await close();
    }
  }
});
