// Starts the Temporal CLI dev server (`temporal server start-dev`) on loopback with a persistent
// SQLite file, waits until its frontend (and Web UI) really answer, and can restart it in place.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { resolveTool } from '../tools/tools.js';
import { assertPortFree, freePort, ManagedProcess, ProcessExitedError, type ReadinessCheck } from './process.js';

export type SearchAttributeType = 'Keyword' | 'Text' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

export interface TemporalDevServerOptions {
  /** Holds temporal.db (and the log file unless `logFile` is given); created if missing. */
  stateDir: string;
  /** gRPC frontend port (default: a free port). */
  port?: number;
  /** Web UI port (default: a free port). */
  uiPort?: number;
  /** Namespace to create at launch (default 'default', which always exists). */
  namespace?: string;
  /** Custom search attributes registered at launch. */
  searchAttributes?: Record<string, SearchAttributeType>;
  /** No Web UI. */
  headless?: boolean;
  /** Where the server's output is appended (default <stateDir>/temporal.log). */
  logFile?: string;
  /** Temporal CLI binary (default: resolveTool('temporal')). */
  executable?: string;
  /** Server log level (default 'warn'). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** How long to wait for readiness (default 60 s). */
  readyTimeoutMs?: number;
  /** Dynamic config overrides, e.g. { 'limit.historyCount.suggestContinueAsNew': 100 }. */
  dynamicConfig?: Record<string, string | number | boolean>;
}

export interface TemporalDevServer {
  /** host:port of the gRPC frontend, e.g. '127.0.0.1:7233'. */
  readonly address: string;
  /** Web UI root, e.g. 'http://127.0.0.1:8233'; undefined when headless. */
  readonly uiUrl: string | undefined;
  readonly namespace: string;
  readonly dbFile: string;
  readonly logFile: string;
  /** pid of the current server process. */
  readonly pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after a grace period); harmless when stopped. */
  stop(): Promise<void>;
  /** Stops and starts the server again on the same ports and database file, then waits for it. */
  restart(): Promise<void>;
}

const HOST = '127.0.0.1';
const START_ATTEMPTS = 3;

/** Starts `temporal server start-dev` and resolves once the namespace and search attributes are served. */
export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const executable = options.executable ?? (await resolveTool('temporal'));
  const port = options.port ?? (await freePort());
  const uiPort = options.headless ? undefined : (options.uiPort ?? (await freePort()));
  const namespace = options.namespace ?? 'default';
  const searchAttributes = options.searchAttributes ?? {};
  mkdirSync(options.stateDir, { recursive: true });
  const dbFile = join(options.stateDir, 'temporal.db');
  const logFile = options.logFile ?? join(options.stateDir, 'temporal.log');
  const address = `${HOST}:${port}`;
  const uiUrl = uiPort === undefined ? undefined : `http://${HOST}:${uiPort}`;

  const args = ['server', 'start-dev', '--ip', HOST, '--port', String(port), '--db-filename', dbFile];
  args.push('--log-level', options.logLevel ?? 'warn');
  if (uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  if (namespace !== 'default') args.push('--namespace', namespace);
  for (const [key, type] of Object.entries(searchAttributes)) args.push('--search-attribute', `${key}=${type}`);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);

  const checks: ReadinessCheck[] = [
    { kind: 'tcp', host: HOST, port },
    {
      kind: 'probe',
      description: `Temporal frontend at ${address} serving namespace '${namespace}'`,
      probe: () => probeFrontend(address, namespace, Object.keys(searchAttributes)),
    },
  ];
  if (uiUrl) checks.push({ kind: 'http', url: uiUrl, accept: (status) => status === 200 });

  const launchOnce = async (): Promise<ManagedProcess> => {
    await assertPortFree(port, HOST);
    if (uiPort !== undefined) await assertPortFree(uiPort, HOST);
    const proc = await ManagedProcess.start({ name: 'temporal dev server', command: executable, args, logFile });
    try {
      await proc.waitUntilReady(checks, { timeoutMs: options.readyTimeoutMs ?? 60_000 });
    } catch (err) {
      await proc.stop({ graceMs: 2_000 });
      throw err;
    }
    return proc;
  };
  // The server picks free ports for its internal services itself; when another process takes one
  // of them between the pick and the bind, it exits at once. A second start picks others.
  const launch = async (): Promise<ManagedProcess> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await launchOnce();
      } catch (err) {
        if (!(err instanceof ProcessExitedError) || attempt >= START_ATTEMPTS) throw err;
        console.warn(`temporal dev server exited while starting (attempt ${attempt} of ${START_ATTEMPTS}); starting it again`);
      }
    }
  };

  let current = await launch();
  return {
    address,
    uiUrl,
    namespace,
    dbFile,
    logFile,
    get pid() {
      return current.pid;
    },
    async stop() {
      await current.stop();
    },
    async restart() {
      await current.stop();
      current = await launch();
    },
  };
}

/** Throws unless the frontend answers GetSystemInfo, knows the namespace and its search attributes. */
async function probeFrontend(address: string, namespace: string, searchAttributes: readonly string[]): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: '2s' });
  try {
    await connection.withDeadline(Date.now() + 3_000, async () => {
      await connection.workflowService.getSystemInfo({});
      await connection.workflowService.describeNamespace({ namespace });
      if (searchAttributes.length > 0) {
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
        const missing = searchAttributes.filter((key) => !(customAttributes && key in customAttributes));
        if (missing.length > 0) throw new Error(`search attributes not registered yet: ${missing.join(', ')}`);
      }
    });
  } finally {
    await connection.close();
  }
}
