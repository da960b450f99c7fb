// The CLI end to end, against a real dev server, a separate worker process and the emulator:
// backup --wait/--json, status, verify (and what it finds after damage), the 2025 explanation
// for an empty library, and a revoked sign-in failing fast with a clear message.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { DiskManifest } from '../src/manifest/manifest.js';
import { runCli } from './harness/cli.js';
import { ACCOUNT, startStack, type Stack } from './harness/stack.js';
import { tempDir } from './harness/tmp.js';

describe('CLI: backup, status, verify', () => {
  let stack: Stack;
  const dest = join(tempDir('cli'), 'photos');

  before(async () => {
    stack = await startStack({ preset: 'mixed', items: 120 });
    await stack.spawnWorker();
  });
  after(() => stack?.close());

  it('backup --wait --json stores the library and exits 0; status reports the outcome', async () => {
    const result = await runCli(['backup', '--dest', dest, '--account', ACCOUNT, '--wait', '--json', '--processing-wait', '1'], stack.env());
    assert.equal(result.code, 0, result.stderr);
    const { workflowId, summary } = JSON.parse(result.stdout) as { workflowId: string; summary: { stored: number; skipped: number; listed: number } };
    assert.match(workflowId, /^backup\/tester\/[0-9a-f]{12}$/);
    const visible = stack.emulator.library.items.filter((item) => item.appCreated);
    assert.equal(summary.listed, visible.length);
    assert.ok(summary.stored >= visible.length - 1, 'all but a video still processing are stored');

    const status = await runCli(['status', '--dest', dest, '--account', ACCOUNT, '--json'], stack.env());
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { state: string }).state, 'COMPLETED');

    const described = await stack.client.workflow.getHandle(workflowId).describe();
    assert.deepEqual(described.memo, { account: ACCOUNT, destination: dest, source: 'library', result: `${summary.stored} stored, ${summary.skipped} already there, 0 failed` });
    assert.equal(described.typedSearchAttributes.get(defineSearchAttributeKey('GphotosAccount', SearchAttributeType.KEYWORD)), ACCOUNT);
  });

  it('verify passes on an intact destination, reports corrupt and missing files, and a re-run repairs them', async () => {
    assert.equal((await runCli(['verify', '--dest', dest], stack.env())).code, 0);
    const entries = [...(await DiskManifest.open(dest)).values()];
    const [damaged, deleted] = entries;
    assert.ok(damaged && deleted);
    writeFileSync(join(dest, damaged.key), 'not the original bytes');
    rmSync(join(dest, deleted.key));
    const broken = await runCli(['verify', '--dest', dest, '--json'], stack.env());
    assert.equal(broken.code, 1);
    const report = JSON.parse(broken.stdout) as { level: string; missing: { key: string; id: string }[]; corrupt: { key: string; id: string }[] };
    assert.equal(report.level, 'full');
    assert.deepEqual(report.missing, [{ key: deleted.key, id: deleted.id }]);
    assert.deepEqual(report.corrupt.map(({ key, id }) => ({ key, id })), [{ key: damaged.key, id: damaged.id }]);

    const rerun = await runCli(['backup', '--dest', dest, '--account', ACCOUNT, '--wait', '--processing-wait', '0'], stack.env());
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, /Backup done: \d+ listed, [12] stored/);
    assert.equal((await runCli(['verify', '--dest', dest], stack.env())).code, 0);
  });

  it('bad usage exits 2 with a message saying what to fix', async () => {
    for (const args of [['backup'], ['backup', '--dest', dest, '--from', '2024-02-30'], ['backup', '--dest', 's3:/x', '--bogus'], ['status', '--bogus'], ['nonsense']]) {
      const result = await runCli(args, stack.env());
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.ok(result.stderr.trim().length > 0);
    }
  });
});

describe('CLI: what users are told when Google refuses', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({ preset: 'not-app-created', items: 30 });
    await stack.spawnWorker();
  });
  after(() => stack?.close());

  it('an empty Library API listing is explained (only app-created items since 2025-03-31)', async () => {
    const result = await runCli(['backup', '--dest', join(tempDir('empty'), 'x'), '--account', ACCOUNT, '--wait'], stack.env());
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /0 listed/);
    assert.match(result.stdout, /Since 2025-03-31 the Library API lists only photos and videos this app created/);
  });

  it('a revoked sign-in fails fast and non-retryably, telling the user to run auth login', async () => {
    stack.emulator.revoke();
    stack.emulator.resetCounters();
    const started = Date.now();
    const result = await runCli(['backup', '--dest', join(tempDir('revoked'), 'x'), '--account', ACCOUNT, '--wait'], stack.env(), 60_000);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /auth login/);
    assert.ok((stack.emulator.counters().requests['oauth.token'] ?? 0) <= 2, 'no retry storm against the token endpoint');
    assert.ok(Date.now() - started < 30_000, 'fails fast');
  });
});
