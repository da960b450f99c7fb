// The worker's Prometheus endpoint (`worker --metrics HOST:PORT`, real dev server, a worker
// process): after a backup it serves the SDK's metrics and ours, with the values the backup had:
// items and bytes stored, items already there, failures by kind, Google requests by kind. The
// same worker's log, not a terminal, is JSON lines without a token or a baseUrl in them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../src/devserver/process.js';
import { formatLogEntry } from '../src/temporal/log-format.js';
import { runCli } from './harness/cli.js';
import { ACCOUNT, startStack, type Stack } from './harness/stack.js';
import { tempDir } from './harness/tmp.js';

/** The sum of a metric's samples whose labels include `labels` (Prometheus text format). */
function total(text: string, metric: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${metric}(\\{[^}]*\\})? ([0-9.e+-]+)$`).exec(line);
    if (!match) continue;
    const tags = match[1] ?? '';
    if (Object.entries(labels).every(([k, v]) => tags.includes(`${k}="${v}"`))) sum += Number(match[2]);
  }
  return sum;
}

describe('worker metrics', () => {
  let stack: Stack;
  let url: string;
  before(async () => {
    stack = await startStack({ preset: 'large', items: 40 });
    const port = await freePort();
    url = `http://127.0.0.1:${port}/metrics`;
    await stack.spawnWorker('metrics-worker', { GPHOTOS_METRICS_ADDRESS: `127.0.0.1:${port}`, GPHOTOS_LOG_LEVEL: 'INFO' });
  });
  after(() => stack?.close());

  it('serves the SDK metrics and ours with the values of the backups it ran', async (t) => {
    const bad = stack.emulator.library.items[3];
    assert.ok(bad);
    stack.emulator.addFault({ target: 'media', kind: 'server-error', itemId: bad.id, probability: 1, status: 503 });
    const dest = join(tempDir('metrics'), 'photos');
    const first = await runCli(['backup', '--dest', dest, '--account', ACCOUNT, '--wait'], stack.env());
    assert.equal(first.code, 1, 'one item could not be stored');
    stack.emulator.clearFaults();
    const again = await runCli(['backup', '--dest', dest, '--account', ACCOUNT, '--wait'], stack.env());
    assert.equal(again.code, 0, again.stderr);
    const text = await (await fetch(url)).text();
    const counted = stack.emulator.counters().requests;
    const figures = {
      stored: total(text, 'gphotos_items_stored_total'),
      bytes: total(text, 'gphotos_stored_bytes_total'),
      skipped: total(text, 'gphotos_items_skipped_total'),
      transient: total(text, 'gphotos_items_failed_total', { kind: 'transient' }),
      media: total(text, 'gphotos_google_requests_total', { kind: 'media' }),
      lists: total(text, 'gphotos_google_requests_total', { kind: 'mediaItems.list' }),
    };
    t.diagnostic(JSON.stringify(figures));
    const expectedBytes = stack.emulator.library.items.reduce((sum, item) => sum + item.size, 0);
    assert.deepEqual([figures.stored, figures.bytes, figures.skipped, figures.transient], [40, expectedBytes, 39, 1]);
    assert.equal(figures.media, counted.media, 'media requests as the emulator counted them');
    assert.ok(figures.lists >= 2, 'listing requests counted by kind');
    assert.match(text, /^temporal_activity_execution_latency/m, "the SDK's own metrics too");
    assert.match(text, /gphotos_items_stored_total\{[^}]*taskQueue="e2e"/, 'tagged with the task queue');
  });

  it('logs JSON lines when its output is not a terminal, with no token or baseUrl in them', () => {
    const lines = readFileSync(join(stack.dir, 'metrics-worker.log'), 'utf8').split('\n').filter((line) => line.startsWith('{'));
    assert.ok(lines.length >= 3, `JSON log lines: ${lines.length}`);
    for (const line of lines) {
      const entry = JSON.parse(line) as { time?: string; level?: string; message?: string };
      assert.ok(entry.time && entry.level && typeof entry.message === 'string', line);
    }
    const text = lines.join('\n');
    for (const secret of stack.emulator.issuedTokens()) assert.ok(!text.includes(secret), 'no token in the log');
    assert.ok(!text.includes('/lr/'), 'no baseUrl in the log');
  });

  it('masks tokens, Bearer headers and media URLs whatever a log call is handed', () => {
    const line = formatLogEntry(
      { level: 'WARN', message: 'GET https://lh3.googleusercontent.com/lr/AbC=d failed with Bearer ya29.a0AfH6', timestampNanos: 1_700_000_000_000_000_000n, meta: { body: '{"access_token":"ya29.xyz","refresh_token":"1//0gAbcdefghijklmnopqrstuvwxyz"}' } },
      true,
    );
    assert.ok(!/ya29|googleusercontent|1\/\/0g/.test(line), line);
    assert.match(line, /\[baseUrl\]/);
  });
});
