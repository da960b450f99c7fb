// The worker: serves the workflows in src/workflows and the activities built over real
// dependencies (Google endpoints, token store) on one task queue.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities/index.js';
import { dataConverterFromEnv } from './temporal/codec.js';

export interface WorkerSettings {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly deps: ActivityDeps;
  /** Parallel activity executions (downloads) in this worker. */
  readonly maxConcurrentActivities?: number;
  /** Activities per second on the task queue, for all its workers together (enforced by the server). */
  readonly taskQueueActivitiesPerSecond?: number;
}

export function workflowsPath(): string {
  return require.resolve('./workflows/index.js');
}

/** Where `npm run build` writes the bundled workflow code (dist/workflow-bundle.js). */
export function workflowBundlePath(): string {
  return join(__dirname, '..', 'workflow-bundle.js');
}

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The prebuilt bundle when it is newer than every compiled source file; otherwise the worker
 * bundles the workflows itself at start (a stale bundle would run old workflow code).
 */
export function workflowSource(): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  const bundle = workflowBundlePath();
  try {
    if (statSync(bundle).mtimeMs >= newestMtimeMs(__dirname)) return { workflowBundle: { codePath: bundle } };
  } catch {
    // no bundle built
  }
  return { workflowsPath: workflowsPath() };
}

export function createWorker(settings: WorkerSettings): Promise<Worker> {
  return Worker.create({
    connection: settings.connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    ...workflowSource(),
    activities: createActivities(settings.deps),
    // Payloads sealed with the keys of GPHOTOS_CODEC_KEYS / GPHOTOS_CODEC_KEY_FILE, when set.
    ...dataConverterFromEnv(),
    maxConcurrentActivityTaskExecutions: settings.maxConcurrentActivities ?? 8,
    // Heartbeats reach the server at least every 5 s (the SDK's default is up to 48 s with a 60 s
    // heartbeat timeout): a cancelled import or backup hears of it within seconds, and `status`
    // shows running parts and batches as they go.
    maxHeartbeatThrottleInterval: '5 seconds',
    ...(settings.taskQueueActivitiesPerSecond ? { maxTaskQueueActivitiesPerSecond: settings.taskQueueActivitiesPerSecond } : {}),
  });
}
