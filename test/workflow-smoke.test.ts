// Smoke test of the whole stack: a real Temporal dev server, a real worker with real activities,
// the emulator over HTTP; the listLibrary workflow pages through the library.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { googleEndpoints } from '../src/config.js';
import { startTemporalDevServer, type TemporalDevServer } from '../src/devserver/temporal.js';
import { Emulator } from '../src/emulator/server.js';
import { TokenStore } from '../src/google/token-store.js';
import { installRuntime } from '../src/temporal/runtime.js';
import { createWorker } from '../src/worker.js';
import { listLibrary } from '../src/workflows/list-library.js';
import { fetchHistoryText } from './harness/history.js';
import { tempDir } from './harness/tmp.js';

describe('listLibrary workflow on a real dev server and worker', () => {
  let server: TemporalDevServer;
  let emulator: Emulator;
  let client: Client;
  let store: TokenStore;
  const dir = tempDir('smoke');

  before(async () => {
    installRuntime(process.env.GPHOTOS_LOG_LEVEL, 'WARN');
    [server, emulator] = await Promise.all([startTemporalDevServer({ stateDir: join(dir, 'temporal'), headless: true }), Emulator.start({ preset: 'mixed' })]);
    store = new TokenStore(join(dir, 'config'));
    await store.save('smoke', emulator.credentials());
    client = new Client({ connection: await Connection.connect({ address: server.address }), namespace: 'default' });
  });

  after(async () => {
    await client?.connection.close();
    await server?.stop();
    await emulator?.close();
  });

  it('lists every app-created item through activities and keeps tokens and baseUrls out of history', async () => {
    const connection = await NativeConnection.connect({ address: server.address });
    const taskQueue = 'smoke';
    const worker = await createWorker({ connection, namespace: 'default', taskQueue, deps: { endpoints: googleEndpoints(emulator.env()), tokenStore: store } });
    const workflowId = 'list/smoke';
    const totals = await worker.runUntil(client.workflow.execute(listLibrary, { taskQueue, workflowId, args: [{ account: { account: 'smoke' } }] }));
    await connection.close();

    const visible = emulator.library.items.filter((item) => item.appCreated);
    assert.equal(totals.items, visible.length);
    assert.equal(totals.videos, visible.filter((item) => item.kind === 'video').length);
    assert.equal(totals.photos, visible.filter((item) => item.kind === 'photo').length);
    assert.ok(totals.pages >= Math.ceil(visible.length / 100));
    assert.ok((emulator.counters().requests['library.list'] ?? 0) >= totals.pages);

    const history = await fetchHistoryText(client, workflowId);
    assert.ok(history.includes(visible[0]?.id ?? '-'), 'descriptors are in history');
    for (const secret of emulator.issuedTokens()) assert.ok(!history.includes(secret), 'no access or refresh token in history');
    assert.ok(!history.includes('/lr/'), 'no baseUrl in history');
  });
});
