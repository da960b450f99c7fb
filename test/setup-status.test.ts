// `setup` registers the search attributes on a server that lacks them (and changes nothing the
// second time); the attributes filter backups from picks in a `workflow list` query; `status`
// without an id lists the recent backups and picks with their results.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTemporalDevServer } from '../src/devserver/temporal.js';
import { runCli } from './harness/cli.js';
import { ACCOUNT, startStack, type Stack } from './harness/stack.js';
import { tempDir } from './harness/tmp.js';
import { until } from './harness/wait.js';

describe('setup, search attributes and status', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ preset: 'large', items: 10 });
    stack.emulator.setBehaviour({ pickerPollIntervalMs: 200, pickerSessionTtlMs: 1500 });
    await stack.spawnWorker();
  });
  after(() => stack?.close());

  it('status lists recent backups and picks; search attributes tell them apart', async () => {
    const dest = join(tempDir('recent'), 'photos');
    const backup = await runCli(['backup', '--dest', dest, '--account', ACCOUNT, '--wait'], stack.env());
    assert.equal(backup.code, 0, backup.stderr);
    const pick = await runCli(['pick', '--dest', dest, '--account', ACCOUNT, '--wait'], stack.env());
    assert.equal(pick.code, 3, 'the session expired unpicked');
    const picks = async () => {
      const ids: string[] = [];
      for await (const w of stack.client.workflow.list({ query: 'GphotosSource = "picker"' })) ids.push(w.workflowId);
      return ids;
    };
    await until(async () => (await picks()).length === 1, 30_000, 'the pick in the visibility store');
    assert.match((await picks())[0] ?? '', /^pick\//);
    await until(async () => (await runCli(['status'], stack.env())).stdout.includes('10 stored'), 30_000, 'status lists the backup');
    const status = await runCli(['status'], stack.env());
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /backup +completed +backup\/tester\/[0-9a-f]{12} → .*: 10 stored, 0 already there, 0 failed/);
    assert.match(status.stdout, /pick +completed +pick\/tester\/[0-9a-f]{12}.*: the session expired before anything was picked/);
  });

  it('setup registers the search attributes where they are missing, and then has nothing to do', async () => {
    const bare = await startTemporalDevServer({ stateDir: join(tempDir('bare'), 'temporal'), headless: true });
    try {
      const env = stack.env({ TEMPORAL_ADDRESS: bare.address });
      const first = await runCli(['setup'], env);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /Namespace default: registered GphotosAccount, GphotosDestination, GphotosSource\./);
      const again = await runCli(['setup', '--json'], env);
      assert.deepEqual(JSON.parse(again.stdout), { namespace: 'default', added: [], alreadyThere: ['GphotosAccount', 'GphotosDestination', 'GphotosSource'] });
    } finally {
      await bare.stop();
    }
  });
});
