// `gphotos-backup worker`: runs a worker for the backup workflows and activities until interrupted.
import { configDir, googleEndpoints } from '../config.js';
import { TokenStore } from '../google/token-store.js';
import { connectWorker, temporalTarget } from '../temporal/connection.js';
import { installRuntime } from '../temporal/runtime.js';
import type { Worker } from '@temporalio/worker';
import { createWorker } from '../worker.js';
import { flag, intOption, parse, stringOption } from './args.js';
import { EXIT } from './exit.js';

export const WORKER_HELP = `Usage: gphotos-backup worker [options]

Run a Temporal worker that executes gphotos-backup workflows and activities (listing, downloads).
Connects with TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY / TEMPORAL_TLS_*; loads
Google sign-ins from GPHOTOS_CONFIG_DIR. Runs until interrupted (Ctrl-C), finishing or handing
back in-flight work first. GPHOTOS_LOG_LEVEL sets the log level (default WARN).

Options:
  --task-queue NAME     task queue to poll (default: $GPHOTOS_TASK_QUEUE or gphotos-backup)
  --concurrency N       parallel activities (downloads) in this worker (default: 8)
  -h, --help            show this help`;

export async function workerCommand(argv: readonly string[]): Promise<number> {
  const parsed = parse(argv, { 'task-queue': { type: 'string' }, concurrency: { type: 'string' } });
  if (flag(parsed, 'help')) {
    console.log(WORKER_HELP);
    return EXIT.ok;
  }
  const target = temporalTarget();
  const concurrency = intOption(parsed, 'concurrency', { min: 1, max: 256 }) ?? 8;
  const taskQueue = stringOption(parsed, 'task-queue') ?? target.taskQueue;
  const deps = { endpoints: googleEndpoints(), tokenStore: new TokenStore(configDir()) };
  installRuntime(process.env.GPHOTOS_LOG_LEVEL, 'WARN');
  const connection = await connectWorker(target);
  const worker = await createWorker({ connection, namespace: target.namespace, taskQueue, deps, maxConcurrentActivities: concurrency });
  console.log(`worker polling task queue "${taskQueue}" in namespace "${target.namespace}" at ${target.connectionOptions.address ?? 'localhost:7233'}`);
  return runUntilSignal(worker, () => connection.close());
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
