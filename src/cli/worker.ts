// `gphotos-backup worker`: runs a worker for the backup workflows and activities until interrupted.
import { configDir, googleEndpoints } from '../config.js';
import { TokenStore } from '../google/token-store.js';
import { connectWorker, temporalTarget } from '../temporal/connection.js';
import { installRuntime } from '../temporal/runtime.js';
import type { Worker } from '@temporalio/worker';
import { createWorker } from '../worker.js';
import { flag, intOption, parse, stringOption, type Parsed } from './args.js';
import { EXIT, UsageError } from './exit.js';

export const WORKER_HELP = `Usage: gphotos-backup worker [options]

Run a Temporal worker that executes gphotos-backup workflows and activities (listing, downloads).
Connects with TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY / TEMPORAL_TLS_*; loads
Google sign-ins from GPHOTOS_CONFIG_DIR. Runs until interrupted (Ctrl-C), finishing or handing
back in-flight work first. GPHOTOS_LOG_LEVEL sets the log level (default WARN).

Options:
  --task-queue NAME     task queue to poll (default: $GPHOTOS_TASK_QUEUE or gphotos-backup)
  --concurrency N       parallel activities (downloads) in this worker (default: 8)
  --activities-per-second N
                        activities the Temporal server hands out per second on this task queue,
                        to all its workers together (the server enforces it; default: no limit)
  --metrics HOST:PORT   serve Prometheus metrics at http://HOST:PORT/metrics: the SDK's and
                        gphotos_items_stored_total, gphotos_stored_bytes_total,
                        gphotos_items_skipped_total, gphotos_items_failed_total{kind},
                        gphotos_google_requests_total{kind}, gphotos_quota_sleeps_total
                        (default: $GPHOTOS_METRICS_ADDRESS; off when neither is set)
  -h, --help            show this help`;

export async function workerCommand(argv: readonly string[]): Promise<number> {
  const parsed = parse(argv, { 'task-queue': { type: 'string' }, concurrency: { type: 'string' }, metrics: { type: 'string' }, 'activities-per-second': { type: 'string' } });
  if (flag(parsed, 'help')) {
    console.log(WORKER_HELP);
    return EXIT.ok;
  }
  const target = temporalTarget();
  const concurrency = intOption(parsed, 'concurrency', { min: 1, max: 256 }) ?? 8;
  const taskQueue = stringOption(parsed, 'task-queue') ?? target.taskQueue;
  const deps = { endpoints: googleEndpoints(), tokenStore: new TokenStore(configDir()) };
  installRuntime(process.env.GPHOTOS_LOG_LEVEL, 'WARN', metricsAddress(parsed));
  const connection = await connectWorker(target);
  const perSecond = intOption(parsed, 'activities-per-second', { min: 1, max: 100_000 });
  const worker = await createWorker({ connection, namespace: target.namespace, taskQueue, deps, maxConcurrentActivities: concurrency, ...(perSecond ? { taskQueueActivitiesPerSecond: perSecond } : {}) });
  console.log(`worker polling task queue "${taskQueue}" in namespace "${target.namespace}" at ${target.connectionOptions.address ?? 'localhost:7233'}`);
  return runUntilSignal(worker, () => connection.close());
}

/** HOST:PORT for the Prometheus endpoint (flag, else GPHOTOS_METRICS_ADDRESS), or undefined. */
export function metricsAddress(parsed: Parsed): string | undefined {
  const address = stringOption(parsed, 'metrics') ?? (process.env.GPHOTOS_METRICS_ADDRESS || undefined);
  if (address !== undefined && !/^[^\s:]+:\d{1,5}$/.test(address) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(address)) {
    throw new UsageError(`--metrics must be HOST:PORT such as 127.0.0.1:9464, got "${address}"`);
  }
  return address;
}

/** Runs the worker until SIGINT/SIGTERM (in-flight work is finished or handed back), then cleans up. */
export async function runUntilSignal(worker: Worker, cleanup: () => Promise<void>): Promise<number> {
  let interrupted = false;
  const stop = () => {
    interrupted = true;
    worker.shutdown();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await worker.run();
  } finally {
    await cleanup();
  }
  return interrupted ? EXIT.interrupted : EXIT.ok;
}
