// `npm run demo`: the main job on the embedded default. Starts a Temporal dev server with its
// Web UI, the Google Photos emulator with a sample library and a worker, backs the library up
// into a local folder with the real backup workflow, runs it again to show that a re-run fetches
// nothing, prints what it did, and stops everything (or keeps it up with --keep).
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
import { backup } from '../src/workflows/backup.js';
import { DEFAULT_BACKUP_OPTIONS, SEARCH_ATTRIBUTE_TYPES, type BackupInput } from '../src/workflows/messages.js';
import { summaryLines } from '../src/cli/backup.js';
import { formatBytes } from '../src/cli/progress.js';

const TASK_QUEUE = 'gphotos-backup-demo';

async function main(): Promise<number> {
  installRuntime(process.env.GPHOTOS_LOG_LEVEL, 'WARN');
  const keep = process.argv.includes('--keep');
  const state = mkdtempSync(join(tmpdir(), 'gphotos-demo-state-'));
  const destRoot = mkdtempSync(join(tmpdir(), 'gphotos-demo-backup-'));
  console.log('Starting the Temporal dev server (with Web UI) and the Google Photos emulator...');
  const [server, emulator] = await Promise.all([startTemporalDevServer({ stateDir: join(state, 'temporal'), searchAttributes: SEARCH_ATTRIBUTE_TYPES }), Emulator.start({ preset: 'mixed' })]);
  const dest = join(destRoot, 'photos');
  const store = new TokenStore(join(state, 'config'));
  await store.save('demo', emulator.credentials());
  const connection = await NativeConnection.connect({ address: server.address });
  const worker = await createWorker({ connection, namespace: 'default', taskQueue: TASK_QUEUE, deps: { endpoints: googleEndpoints(emulator.env()), tokenStore: store } });
  const client = new Client({ connection: await Connection.connect({ address: server.address }), namespace: 'default' });
  const workflowId = `backup/demo/${Date.now()}`;
  const run = worker.run();
  try {
    console.log(`Temporal Web UI:  ${server.uiUrl ?? '(headless)'}`);
    console.log(`Emulator:         ${emulator.url} (${emulator.library.items.length} items, preset mixed)`);
    const input: BackupInput = {
      account: { account: 'demo' },
      destination: { kind: 'disk', path: dest },
      options: { ...DEFAULT_BACKUP_OPTIONS, sidecars: true, processingWaitSeconds: 60 },
    };
    for (const run of [1, 2]) {
      emulator.resetCounters();
      const handle = await client.workflow.start(backup, { taskQueue: TASK_QUEUE, workflowId, args: [input], memo: { account: 'demo', destination: dest, source: 'library' } });
      if (run === 1) console.log(`Workflow:         ${server.uiUrl ?? ''}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
      const started = Date.now();
      const summary = await handle.result();
      const requests = emulator.counters().requests;
      console.log(`\nRun ${run} (${((Date.now() - started) / 1000).toFixed(1)} s):`);
      for (const line of summaryLines(summary)) console.log(line);
      console.log(
        `Google requests: ${requests['library.list'] ?? 0} list, ${requests['library.batchGet'] ?? 0} batchGet, ` +
          `${requests.media ?? 0} media (${formatBytes(emulator.counters().mediaBytes)}).`,
      );
    }
    const hidden = emulator.library.items.filter((item) => !item.appCreated).length;
    console.log(`\nThe backup is in ${dest} (YYYY/MM/<name>, manifest in .gphotos-backup/).`);
    console.log(`Check it with: node dist/src/cli/main.js verify --dest ${dest}`);
    if (hidden > 0) console.log(`${hidden} items of the sample library were not created by this app, so the Library API does not list them (Google's 2025-03-31 change).`);
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
