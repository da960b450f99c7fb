// The worker: serves the workflows in src/workflows and the activities built over real
// dependencies (Google endpoints, token store) on one task queue.
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities/index.js';

export interface WorkerSettings {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly deps: ActivityDeps;
  /** Parallel activity executions (downloads) in this worker. */
  readonly maxConcurrentActivities?: number;
}

export function workflowsPath(): string {
  return require.resolve('./workflows/index.js');
}

export function createWorker(settings: WorkerSettings): Promise<Worker> {
  return Worker.create({
    connection: settings.connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    workflowsPath: workflowsPath(),
    activities: createActivities(settings.deps),
    maxConcurrentActivityTaskExecutions: settings.maxConcurrentActivities ?? 8,
  });
}
