// `gphotos-backup dev`: everything on one machine in one command: a Temporal dev server with its
// Web UI and persistent state, and a worker. Runs until interrupted.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { configDir, googleEndpoints, temporalSettings } from '../config.js';
import { startTemporalDevServer } from '../devserver/temporal.js';
import { TokenStore } from '../google/token-store.js';
import { installRuntime } from '../temporal/runtime.js';
import { createWorker } from '../worker.js';
import { SEARCH_ATTRIBUTE_TYPES } from '../workflows/messages.js';
import { flag, intOption, parse, stringOption } from './args.js';
import { EXIT } from './exit.js';
import { metricsAddress, runUntilSignal } from './worker.js';

export const DEV_HELP = `Usage: gphotos-backup dev [options]

Start a local Temporal dev server (with its Web UI and a database that survives restarts) and a
gphotos-backup worker, in one command. Other commands in another terminal reach it at the
default TEMPORAL_ADDRESS (127.0.0.1:7233). Runs until interrupted (Ctrl-C).

Options:
  --state-dir DIR       where the Temporal database lives (default: ~/.local/state/gphotos-backup)
  --port N              Temporal frontend port (default: 7233)
  --ui-port N           Web UI port (default: 8233)
  --concurrency N       parallel activities in the worker (default: 8)
  --metrics HOST:PORT   serve the worker's Prometheus metrics there (see \`worker --help\`)
  -h, --help            show this help`;

export async function devCommand(argv: readonly string[]): Promise<number> {
  const parsed = parse(argv, { 'state-dir': { type: 'string' }, port: { type: 'string' }, 'ui-port': { type: 'string' }, concurrency: { type: 'string' }, metrics: { type: 'string' } });
  if (flag(parsed, 'help')) {
    console.log(DEV_HELP);
    return EXIT.ok;
  }
  const port = intOption(parsed, 'port', { min: 1, max: 65535 }) ?? 7233;
  const uiPort = intOption(parsed, 'ui-port', { min: 1, max: 65535 }) ?? 8233;
  const concurrency = intOption(parsed, 'concurrency', { min: 1, max: 256 }) ?? 8;
  const stateDir = stringOption(parsed, 'state-dir') ?? join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'gphotos-backup');
  const endpoints = googleEndpoints();
  const { taskQueue } = temporalSettings();
  installRuntime(process.env.GPHOTOS_LOG_LEVEL, 'WARN', metricsAddress(parsed));
  const server = await startTemporalDevServer({
    stateDir,
    port,
    uiPort,
    searchAttributes: SEARCH_ATTRIBUTE_TYPES,
  });
  console.log(`Temporal dev server at ${server.address} (state in ${server.dbFile})`);
  console.log(`Web UI: ${server.uiUrl ?? ''}`);
  const connection = await NativeConnection.connect({ address: server.address });
  const worker = await createWorker({ connection, namespace: 'default', taskQueue, deps: { endpoints, tokenStore: new TokenStore(configDir()) }, maxConcurrentActivities: concurrency });
  console.log(`Worker polling "${taskQueue}". Start a backup in another terminal, e.g. gphotos-backup backup --dest ~/photos-backup --follow`);
  return runUntilSignal(worker, async () => {
    await connection.close();
    await server.stop();
  });
}
