// The whole stack for end-to-end tests: a Temporal dev server (with gphotos-backup's search
// attributes), the emulator in this process, a token store with the emulator's sign-in, a
// client, and workers either in this process or as separate `gphotos-backup worker` processes
// that tests can SIGKILL.
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { googleEndpoints } from '../../src/config.js';
import { ManagedProcess } from '../../src/devserver/process.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/devserver/temporal.js';
import { Emulator, type EmulatorOptions } from '../../src/emulator/server.js';
import { TokenStore } from '../../src/google/token-store.js';
import { installRuntime } from '../../src/temporal/runtime.js';
import { packageRoot } from '../../src/tools/tools.js';
import { createWorker } from '../../src/worker.js';
import { SEARCH_ATTRIBUTE_TYPES } from '../../src/workflows/messages.js';
import { tempDir } from './tmp.js';

export const ACCOUNT = 'tester';

export interface Stack {
  readonly dir: string;
  readonly server: TemporalDevServer;
  readonly emulator: Emulator;
  readonly client: Client;
  readonly configDir: string;
  readonly store: TokenStore;
  readonly taskQueue: string;
  /** Environment for a CLI or worker child process pointed at this stack. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** A worker in this process; run it with worker.runUntil(...) or worker.run(). */
  inProcessWorker(concurrency?: number): Promise<{ worker: Worker; close: () => Promise<void> }>;
  /** `gphotos-backup worker` as a separate process (log under dir). */
  /** A worker in a child process (`gphotos-backup worker`); `extraEnv` overrides its environment. */
  spawnWorker(name?: string, extraEnv?: Record<string, string>, extraArgs?: readonly string[]): Promise<ManagedProcess>;
  close(): Promise<void>;
}

export async function startStack(emulatorOptions: EmulatorOptions, options: { headless?: boolean; dynamicConfig?: Record<string, string | number | boolean> } = {}): Promise<Stack> {
  installRuntime(process.env.GPHOTOS_LOG_LEVEL, 'WARN');
  const dir = tempDir('stack');
  const [server, emulator] = await Promise.all([
    startTemporalDevServer({ stateDir: join(dir, 'temporal'), headless: options.headless ?? true, searchAttributes: SEARCH_ATTRIBUTE_TYPES, ...(options.dynamicConfig ? { dynamicConfig: options.dynamicConfig } : {}) }),
    Emulator.start(emulatorOptions),
  ]);
  const configDir = join(dir, 'config');
  const store = new TokenStore(configDir);
  await store.save(ACCOUNT, emulator.credentials());
  const client = new Client({ connection: await Connection.connect({ address: server.address }), namespace: 'default' });
  const taskQueue = 'e2e';
  const workers: ManagedProcess[] = [];

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    ...(process.env as Record<string, string>),
    ...emulator.env(),
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: 'default',
    GPHOTOS_TASK_QUEUE: taskQueue,
    GPHOTOS_CONFIG_DIR: configDir,
    GPHOTOS_LOG_LEVEL: 'WARN',
    ...extra,
  });

  return {
    dir,
    server,
    emulator,
    client,
    configDir,
    store,
    taskQueue,
    env,
    async inProcessWorker(concurrency = 8) {
      const connection = await NativeConnection.connect({ address: server.address });
      const worker = await createWorker({
        connection,
        namespace: 'default',
        taskQueue,
        deps: { endpoints: googleEndpoints(emulator.env()), tokenStore: store },
        maxConcurrentActivities: concurrency,
      });
      return { worker, close: () => connection.close() };
    },
    async spawnWorker(name = 'worker', extraEnv = {}, extraArgs = []) {
      const proc = await ManagedProcess.start({
        name,
        command: process.execPath,
        args: [join(packageRoot(), 'dist', 'src', 'cli', 'main.js'), 'worker', ...extraArgs],
        env: env(extraEnv),
        logFile: join(dir, `${name}.log`),
      });
      workers.push(proc);
      return proc;
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop()));
      await client.connection.close();
      await server.stop();
      await emulator.close();
    },
  };
}
