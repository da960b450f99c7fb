// One bad item never holds the whole backup: an item whose media URL keeps failing is recorded
// as failed once its tries are spent, everything else is stored, the CLI reports it and exits 1,
// and the next run stores it. A bug in our own code fails the item, not the backup.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createDownloadActivity, type DownloadBatchInput, type DownloadBatchResult, type OpenDestination } from '../src/activities/download-batch.js';
import { ITEM_ATTEMPTS } from '../src/activities/item-errors.js';
import { BaseUrlCache } from '../src/activities/url-cache.js';
import { manifestFor, openSink, type DestinationSpec } from '../src/destination.js';
import { RefreshingAccessTokens } from '../src/google/credentials.js';
import { LibraryClient } from '../src/google/library-client.js';
import { DiskManifest } from '../src/manifest/manifest.js';
import type { Sink } from '../src/sinks/sink.js';
import { LibrarySource } from '../src/sources/library-source.js';
import { backup } from '../src/workflows/backup.js';
import { DEFAULT_BACKUP_OPTIONS, type BackupInput, type BackupSummary } from '../src/workflows/messages.js';
import { fetchHistoryText } from './harness/history.js';
import { runCli } from './harness/cli.js';
import { ACCOUNT, startStack, type Stack } from './harness/stack.js';
import { tempFilesUnder } from './harness/files.js';
import { tempDir } from './harness/tmp.js';

interface BackupJson {
  readonly workflowId: string;
  readonly summary: BackupSummary;
}

describe('one item that fails forever among 300', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ preset: 'large', items: 300 });
    await stack.spawnWorker('worker');
  });
  after(() => stack?.close());

  it('299 stored, 1 failed and reported with exit 1; the next run, with the fault gone, stores it', async (t) => {
    const bad = stack.emulator.library.items[137];
    assert.ok(bad);
    stack.emulator.addFault({ target: 'media', kind: 'server-error', itemId: bad.id, probability: 1, status: 503 });
    const dest = join(tempDir('one-fails'), 'photos');
    const backup = (wait: '--wait') => runCli(['backup', '--dest', dest, '--account', ACCOUNT, wait, '--json'], stack.env(), 300_000);

    const first = await backup('--wait');
    assert.equal(first.code, 1, `exit 1 when an item failed: ${first.stderr}`);
    const { workflowId, summary } = JSON.parse(first.stdout) as BackupJson;
    assert.equal(summary.stored, 299);
    assert.equal(summary.failed, 1);
    assert.equal(summary.recentFailures.length, 1);
    const [failure] = summary.recentFailures;
    assert.equal(failure?.id, bad.id);
    assert.equal(failure?.filename, bad.filename);
    assert.equal(failure?.attempts, 2 * ITEM_ATTEMPTS, 'its tries, then as many again in the final round');
    assert.match(failure?.reason ?? '', /503|unavailable/i);
    const mediaTries = stack.emulator.counters().mediaByItem[bad.id] ?? 0;
    t.diagnostic(`first run: exit ${first.code}, ${summary.stored} stored, ${summary.failed} failed (${failure?.reason}, ${failure?.attempts} tries, ${mediaTries} media requests for it)`);
    assert.equal(mediaTries, 2 * ITEM_ATTEMPTS, 'the bad item was tried a bounded number of times');
    const recorded = readFileSync(join(dest, '.gphotos-backup', 'failures.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; attempts: number });
    assert.deepEqual(recorded.map((r) => r.id), [bad.id]);

    // status tells the same, with the same exit code; the memo carries the result for the Web UI.
    const status = await runCli(['status', workflowId], stack.env());
    assert.equal(status.code, 1);
    assert.match(status.stdout, new RegExp(`failed: ${bad.filename.replace('.', '\\.')}`));
    assert.match(status.stdout, /the next run tries it again/);
    const memo = (await stack.client.workflow.getHandle(workflowId).describe()).memo ?? {};
    assert.equal(memo.result, '299 stored, 0 already there, 1 failed');
    assert.deepEqual(memo.failedItems, [`${bad.filename}: ${failure?.reason}`]);

    stack.emulator.clearFaults();
    stack.emulator.resetCounters();
    const second = await backup('--wait');
    assert.equal(second.code, 0, second.stderr);
    const again = (JSON.parse(second.stdout) as BackupJson).summary;
    t.diagnostic(`second run: exit ${second.code}, ${again.stored} stored, ${again.skipped} already there, ${again.failed} failed`);
    assert.deepEqual([again.stored, again.skipped, again.failed], [1, 299, 0]);
    assert.equal(stack.emulator.counters().requests.media, 1, 'only the failed item is fetched again');
    const entry = (await DiskManifest.open(dest)).get(bad.id);
    assert.ok(entry);
    const bytes = readFileSync(join(dest, ...entry.key.split('/')));
    assert.equal(createHash('sha256').update(bytes).digest('hex'), (await stack.emulator.expected(bad.id)).sha256);
    assert.deepEqual(tempFilesUnder(dest), []);
  });

  it('a slow first byte (longer than the heartbeat timeout) is waited for, not fetched twice', async () => {
    const slow = stack.emulator.library.items[42];
    assert.ok(slow);
    stack.emulator.clearFaults();
    stack.emulator.resetCounters();
    stack.emulator.addFault({ target: 'media', kind: 'slow', itemId: slow.id, delayMs: 7_000, count: 1 });
    const input: BackupInput = { account: { account: ACCOUNT }, destination: { kind: 'disk', path: join(tempDir('slow'), 'photos') }, options: { ...DEFAULT_BACKUP_OPTIONS, heartbeatTimeoutSeconds: 2 } };
    const summary = await stack.client.workflow.execute(backup, { taskQueue: stack.taskQueue, workflowId: 'backup/slow-first-byte', args: [input] });
    assert.deepEqual([summary.stored, summary.failed], [300, 0]);
    assert.equal(stack.emulator.counters().mediaByItem[slow.id], 1, 'one request: the activity heartbeated while it waited');
    const history = await fetchHistoryText(stack.client, 'backup/slow-first-byte');
    assert.ok(!history.includes('TIMEOUT_TYPE_HEARTBEAT'), 'no heartbeat timeout');
  });

  it('an item that trips a bug in our code is recorded as failed and the batch goes on', async () => {
    const env = stack.emulator.env();
    const tokens = new RefreshingAccessTokens(stack.emulator.credentials(), { tokenUrl: env.GOOGLE_OAUTH_TOKEN_URL });
    const client = new LibraryClient({ apiUrl: env.GPHOTOS_LIBRARY_API_URL, tokens });
    const page = await new LibrarySource(client).listPage(undefined, undefined, 20);
    const victim = page.items[5];
    assert.ok(victim);
    const spec: DestinationSpec = { kind: 'disk', path: join(tempDir('bug'), 'photos') };
    // A sink whose put trips over one item the way a bug would (a TypeError, not an I/O error).
    const destination = async (d: DestinationSpec): Promise<OpenDestination> => {
      const sink = openSink(d);
      const buggy: Sink = Object.assign(Object.create(sink) as Sink, {
        put: (input: Parameters<Sink['put']>[0]) => (input.mediaId === victim.id ? Promise.reject(new TypeError("Cannot read properties of undefined (reading 'normalize')")) : sink.put(input)),
      });
      return { sink: buggy, manifest: await manifestFor(d) };
    };
    const activity = createDownloadActivity({ library: () => Promise.resolve({ client, tokens }), urls: new BaseUrlCache(), destination });
    const input: DownloadBatchInput = { account: { account: ACCOUNT }, destination: spec, items: page.items };
    const result: DownloadBatchResult = await new MockActivityEnvironment().run(activity, input);
    assert.equal(result.stored, page.items.length - 1);
    assert.equal(result.failed.length, 1);
    assert.equal(result.failed[0]?.id, victim.id);
    assert.equal(result.failed[0]?.attempts, 1, 'a bug is not retried');
    assert.match(result.failed[0]?.reason ?? '', /internal error: Cannot read properties of undefined/);
  });
});
