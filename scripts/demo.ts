// `npm run demo`: the main job on the embedded default. Starts a Temporal dev server with its
// Web UI, the Google Photos emulator with a sample library and a worker, backs the library up
// into a local folder with the real backup workflow, runs it again to show that a re-run fetches
// nothing, then runs a Picker round into the same folder (the demo picks the whole library for
// the person: the items the Library API cannot list are stored, the others are recognised as
// already there), then imports a sample two-part Google Takeout into the same folder, prints
// what it did, and stops everything (or keeps it up with --keep).
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
import { takeoutSummaryLines } from '../src/cli/import-takeout.js';
import type { DestinationSpec as Destination } from '../src/destination.js';
import { importTakeout } from '../src/workflows/import-takeout.js';
import { DEFAULT_TAKEOUT_OPTIONS } from '../src/workflows/takeout-messages.js';
import { writeTakeout } from '../test/harness/takeout-fixture.js';
import { summaryLines } from '../src/cli/backup.js';
import { pickSummaryLines } from '../src/cli/pick.js';
import type { DestinationSpec } from '../src/destination.js';
import { pick } from '../src/workflows/pick.js';
import { DEFAULT_PICK_OPTIONS, pickProgressQuery, type PickInput, type PickProgress } from '../src/workflows/pick-messages.js';
import { formatBytes } from '../src/cli/progress.js';

const TASK_QUEUE = 'gphotos-backup-demo';

interface Demo {
  readonly client: Client;
  readonly emulator: Emulator;
  readonly uiUrl: string | undefined;
}

function printRequests(emulator: Emulator, kinds: readonly [string, string][]): void {
  const requests = emulator.counters().requests;
  const counts = kinds.map(([key, label]) => `${requests[key] ?? 0} ${label}`).join(', ');
  console.log(`Google requests: ${counts}, ${requests.media ?? 0} media (${formatBytes(emulator.counters().mediaBytes)}).`);
}

/** One run of the backup workflow, as `gphotos-backup backup --wait` starts it. */
async function backupRun({ client, emulator, uiUrl }: Demo, input: BackupInput, workflowId: string, round: number): Promise<void> {
  emulator.resetCounters();
  const dest = input.destination.kind === 'disk' ? input.destination.path : '';
  const handle = await client.workflow.start(backup, { taskQueue: TASK_QUEUE, workflowId, args: [input], memo: { account: 'demo', destination: dest, source: 'library' } });
  if (round === 1) console.log(`Workflow:         ${uiUrl ?? ''}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
  const started = Date.now();
  const summary = await handle.result();
  console.log(`\nBackup run ${round} (${((Date.now() - started) / 1000).toFixed(1)} s):`);
  for (const line of summaryLines(summary)) console.log(line);
  printRequests(emulator, [['library.list', 'list'], ['library.batchGet', 'batchGet']]);
}

/** A Picker round into the same destination: the demo stands in for the person and picks everything. */
async function pickRound({ client, emulator }: Demo, destination: DestinationSpec, workflowId: string): Promise<void> {
  const hidden = emulator.library.items.filter((item) => !item.appCreated).length;
  console.log(`\n${hidden} items of the sample library were not created by this app, so the Library API does not list them (Google's 2025-03-31 change).`);
  console.log('A Picker round reaches the whole library: the person picks in Google Photos; here the demo picks for them.');
  emulator.resetCounters();
  emulator.setBehaviour({ pickerPollIntervalMs: 1000 });
  const input: PickInput = { account: { account: 'demo' }, destination, options: { ...DEFAULT_PICK_OPTIONS, processingWaitSeconds: 60 } };
  const handle = await client.workflow.start(pick, { taskQueue: TASK_QUEUE, workflowId, args: [input], memo: { account: 'demo', source: 'picker' } });
  const started = Date.now();
  let progress: PickProgress | undefined;
  while (!(progress = await handle.query(pickProgressQuery).catch(() => undefined))?.sessionId || progress.polls < 2) await new Promise((r) => setTimeout(r, 250));
  console.log(`Picker link:      ${progress.pickerUri ?? ''} (polled ${progress.polls} times on durable timers)`);
  emulator.pick(progress.sessionId ?? '', { count: Math.min(emulator.library.items.length, 2000) });
  const summary = await handle.result();
  console.log(`\nPicker round (${((Date.now() - started) / 1000).toFixed(1)} s):`);
  for (const line of pickSummaryLines(summary)) console.log(line);
  printRequests(emulator, [['picker.sessions.get', 'sessions.get'], ['picker.mediaItems.list', 'mediaItems.list']]);
  console.log('Items the backup had stored were recognised by name, capture time, size and sha256, and not stored again.');
}

/** A sample Takeout (two zip parts, with the naming quirks Google's exports have) imported into the same folder. */
async function takeoutRound({ client, uiUrl }: Demo, destination: Destination, state: string, workflowId: string): Promise<void> {
  console.log('\nGoogle Takeout is the bulk route, and the only one to the original files (with GPS). A sample export:');
  const fixture = await writeTakeout(join(state, 'takeout'), { format: 'zip', parts: 2 });
  for (const part of fixture.parts) console.log(`  ${part}`);
  const started = Date.now();
  const handle = await client.workflow.start(importTakeout, {
    taskQueue: TASK_QUEUE,
    workflowId,
    args: [{ destination, parts: fixture.parts, options: DEFAULT_TAKEOUT_OPTIONS }],
    memo: { source: 'takeout' },
  });
  console.log(`Workflow:         ${uiUrl ?? ''}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
  const summary = await handle.result();
  console.log(`\nTakeout import (${((Date.now() - started) / 1000).toFixed(1)} s):`);
  for (const line of takeoutSummaryLines(summary)) console.log(line);
}

async function main(): Promise<number> {
  installRuntime(process.env.GPHOTOS_LOG_LEVEL, 'WARN');
  const keep = process.argv.includes('--keep');
  const state = mkdtempSync(join(tmpdir(), 'gphotos-demo-state-'));
  // The manifest index and the Takeout catalog of this demo's folder go with its state.
  process.env.GPHOTOS_CACHE_DIR = join(state, 'cache');
  const destRoot = mkdtempSync(join(tmpdir(), 'gphotos-demo-backup-'));
  console.log('Starting the Temporal dev server (with Web UI) and the Google Photos emulator...');
  const [server, emulator] = await Promise.all([startTemporalDevServer({ stateDir: join(state, 'temporal'), searchAttributes: SEARCH_ATTRIBUTE_TYPES }), Emulator.start({ preset: 'mixed' })]);
  const dest = join(destRoot, 'photos');
  const store = new TokenStore(join(state, 'config'));
  await store.save('demo', emulator.credentials());
  const connection = await NativeConnection.connect({ address: server.address });
  const worker = await createWorker({ connection, namespace: 'default', taskQueue: TASK_QUEUE, deps: { endpoints: googleEndpoints(emulator.env()), tokenStore: store } });
  const client = new Client({ connection: await Connection.connect({ address: server.address }), namespace: 'default' });
  const started = Date.now();
  const demo: Demo = { client, emulator, uiUrl: server.uiUrl };
  const run = worker.run();
  try {
    console.log(`Temporal Web UI:  ${server.uiUrl ?? '(headless)'}`);
    console.log(`Emulator:         ${emulator.url} (${emulator.library.items.length} items, preset mixed)`);
    const input: BackupInput = {
      account: { account: 'demo' },
      destination: { kind: 'disk', path: dest },
      options: { ...DEFAULT_BACKUP_OPTIONS, sidecars: true, processingWaitSeconds: 60 },
    };
    for (const round of [1, 2]) await backupRun(demo, input, `backup/demo/${started}`, round);
    await pickRound(demo, input.destination, `pick/demo/${started}`);
    await takeoutRound(demo, input.destination, state, `takeout/demo/${started}`);
    console.log(`\nThe backup is in ${dest} (YYYY/MM/<name>, manifest in .gphotos-backup/).`);
    console.log(`Check it with: node dist/src/cli/main.js verify --dest ${dest}`);
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
