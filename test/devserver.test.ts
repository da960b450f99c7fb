// The Temporal dev server wrapper against the real Temporal CLI: namespace and search attribute
// registration, Web UI, durability of a workflow execution across restart(), and a clean stop().
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { ProcessExitedError } from '../src/devserver/process.js';
import { startTemporalDevServer, type TemporalDevServer } from '../src/devserver/temporal.js';
import { tempDir } from './harness/tmp.js';

const NAMESPACE = 'gphotos-devserver-test';
const ACCOUNT = defineSearchAttributeKey('GphotosAccount', SearchAttributeType.KEYWORD);
/** temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD */
const INDEXED_VALUE_TYPE_KEYWORD = 2;

/** Whether a process (or, with a negative pid, any member of a process group) exists. */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function withClient<T>(server: TemporalDevServer, fn: (client: Client, connection: Connection) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address: server.address });
  try {
    return await fn(new Client({ connection, namespace: server.namespace }), connection);
  } finally {
    await connection.close();
  }
}

void describe('Temporal dev server', { timeout: 120_000 }, () => {
  let server: TemporalDevServer | undefined;
  const stateDir = tempDir('devserver');

  before(async () => {
    server = await startTemporalDevServer({
      stateDir,
      namespace: NAMESPACE,
      searchAttributes: { [ACCOUNT.name]: 'Keyword' },
    });
  });

  after(async () => {
    await server?.stop();
  });

  const started = (): TemporalDevServer => {
    assert.ok(server, 'server did not start');
    return server;
  };

  void test('listens on loopback and keeps its state in the state dir', () => {
    const s = started();
    assert.match(s.address, /^127\.0\.0\.1:\d+$/);
    assert.match(s.uiUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(s.dbFile, join(stateDir, 'temporal.db'));
    assert.equal(s.namespace, NAMESPACE);
  });

  void test('the namespace exists and the search attribute is registered as Keyword', async () => {
    await withClient(started(), async (_client, connection) => {
      const { namespaceInfo } = await connection.workflowService.describeNamespace({ namespace: NAMESPACE });
      assert.equal(namespaceInfo?.name, NAMESPACE);
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: NAMESPACE });
      assert.equal(customAttributes?.[ACCOUNT.name], INDEXED_VALUE_TYPE_KEYWORD);
    });
  });

  void test('the Web UI answers 200', async () => {
    const res = await fetch(started().uiUrl ?? assert.fail('no UI URL'));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    await res.body?.cancel();
  });

  void test('restart() keeps a running workflow execution', async () => {
    const s = started();
    const workflowId = 'devserver-test/restart';
    const taskQueue = 'devserver-test-no-worker'; // nobody polls it: the workflow stays RUNNING
    const firstRunId = await withClient(s, async (client) => {
      const handle = await client.workflow.start('NobodyPollsThisWorkflow', {
        workflowId,
        taskQueue,
        args: [],
        typedSearchAttributes: [{ key: ACCOUNT, value: 'alice@example.com' }],
      });
      return handle.firstExecutionRunId;
    });
    const pidBefore = s.pid;

    await s.restart();
    assert.notEqual(s.pid, pidBefore, 'restart() should start a new process');
    assert.equal(pidAlive(pidBefore), false, 'the old server process should be gone');

    await withClient(s, async (client) => {
      const description = await client.workflow.getHandle(workflowId).describe();
      assert.equal(description.status.name, 'RUNNING');
      assert.equal(description.runId, firstRunId);
      assert.equal(description.type, 'NobodyPollsThisWorkflow');
      assert.equal(description.typedSearchAttributes.get(ACCOUNT), 'alice@example.com');
    });
  });

  void test('a second server on the same port is refused before it starts', async () => {
    const port = Number(started().address.split(':')[1]);
    await assert.rejects(
      startTemporalDevServer({ stateDir: tempDir('devserver-dup'), port, headless: true }),
      new RegExp(`port 127\\.0\\.0\\.1:${port} is not available \\(EADDRINUSE\\)`),
    );
  });

  void test('a server that fails at startup is reported with the tail of its log', async () => {
    const t0 = Date.now();
    await assert.rejects(
      startTemporalDevServer({
        stateDir: tempDir('devserver-bad'),
        headless: true,
        searchAttributes: { Broken: 'Bogus' as unknown as 'Keyword' },
      }),
      (err: unknown) => {
        assert.ok(err instanceof ProcessExitedError, String(err));
        assert.equal(err.exit.code, 1);
        assert.match(err.message, /temporal dev server exited \(code 1\)/);
        assert.match(err.logTail, /invalid search attribute value type \\?"Bogus/);
        return true;
      },
    );
    assert.ok(Date.now() - t0 < 15_000, 'should fail fast, not at the readiness timeout');
  });

  void test('a headless server has no UI and still serves the default namespace', async () => {
    const headless = await startTemporalDevServer({ stateDir: tempDir('devserver-headless'), headless: true });
    try {
      assert.equal(headless.uiUrl, undefined);
      assert.equal(headless.namespace, 'default');
      await withClient(headless, async (_client, connection) => {
        const info = await connection.workflowService.getSystemInfo({});
        assert.ok(info.serverVersion);
      });
    } finally {
      await headless.stop();
    }
  });

  void test('stop() leaves no process behind', async () => {
    const s = started();
    const pid = s.pid;
    assert.equal(pidAlive(pid), true);
    await s.stop();
    assert.equal(pidAlive(pid), false, 'the server process should be gone');
    assert.equal(pidAlive(-pid), false, 'no process of its process group should be left');
    await s.stop(); // idempotent
  });
});
