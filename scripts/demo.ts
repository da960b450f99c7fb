// `npm run demo`: the main job on the embedded default. Starts a Temporal dev server with its
// Web UI, the Google Photos emulator with a sample library and a worker, runs a real workflow on
// them, prints what it did, and stops everything (or keeps it up with --keep).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { googleEndpoints } from '../src/config.js';
import { startTemporalDevServer } from '../src/devserver/temporal.js';
import { Emulator } from '../src/emulator/server.js';
import { TokenStore } from '../src/google/token-store.js';
import { installRuntime } from '../src/temporal/runtime.js';
import { createWorker } from '../src/worker.js';
import { listLibrary } from '../src/workflows/list-library.js';

const TASK_QUEUE = 'gphotos-backup-demo';

async function main(): Promise<number> {
  installRuntime(process.env.GPHOTOS_LOG_LEVEL, 'WARN');
  const keep = process.argv.includes('--keep');
  const state = mkdtempSync(join(tmpdir(), 'gphotos-demo-'));
  console.log('Starting the Temporal dev server (with Web UI) and the Google Photos emulator...');
  const [server, emulator] = await Promise.all([startTemporalDevServer({ stateDir: join(state, 'temporal') }), Emulator.start({ preset: 'mixed' })]);
  const store = new TokenStore(join(state, 'config'));
  await store.save('demo', emulator.credentials());
  const connection = await NativeConnection.connect({ address: server.address });
  const worker = await createWorker({ connection, namespace: 'default', taskQueue: TASK_QUEUE, deps: { endpoints: googleEndpoints(emulator.env()), tokenStore: store } });
  const client = new Client({ connection: await Connection.connect({ address: server.address }), namespace: 'default' });
  const workflowId = `list/demo/${Date.now()}`;
  const run = worker.run();
  try {
    console.log(`Temporal Web UI:  ${server.uiUrl ?? '(headless)'}`);
    console.log(`Emulator:         ${emulator.url} (${emulator.library.items.length} items, preset mixed)`);
    const handle = await client.workflow.start(listLibrary, { taskQueue: TASK_QUEUE, workflowId, args: [{ account: { account: 'demo' } }] });
    console.log(`Workflow:         ${server.uiUrl ?? ''}/namespaces/default/workflows/${encodeURIComponent(workflowId)}/${handle.firstExecutionRunId}/history`);
    const totals = await handle.result();
    const requests = emulator.counters().requests;
    console.log(
      `Listed ${totals.items} items (${totals.photos} photos, ${totals.videos} videos) in ${totals.pages} pages ` +
        `through the Library API: ${requests['library.list'] ?? 0} list calls, ${requests['oauth.token'] ?? 0} token refresh.`,
    );
    const hidden = emulator.library.items.length - totals.items;
    if (hidden > 0) console.log(`${hidden} items were not created by this app, so the Library API does not list them (Google's 2025-03-31 change).`);
    if (keep) {
      console.log('Servers keep running (--keep); press Ctrl-C to stop.');
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    return 0;
  } finally {
    worker.shutdown();
    await run;
    await connection.close();
    await client.connection.close();
    await server.stop();
    await emulator.close();
    rmSync(state, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`demo failed: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  },
);
