// Workflow tests with mocked activities: the Java SDK's test server (time skipping) started by
// TestWorkflowEnvironment from the provisioned launcher (nothing is downloaded at run time), and
// a worker running the prebuilt workflow bundle over whatever activities a test passes.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type NativeConnection } from '@temporalio/worker';
import type { Activities } from '../../src/activities/index.js';
import { installRuntime } from '../../src/temporal/runtime.js';
import { resolveTool } from '../../src/tools/tools.js';
import { workflowSource } from '../../src/worker.js';

/** Starts the time-skipping test server; call `teardown()` when done. */
export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  // Tests fail activities on purpose: only errors are worth printing.
  installRuntime(process.env.GPHOTOS_LOG_LEVEL, 'ERROR');
  const path = await resolveTool('testserver');
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
}

/** A worker on `taskQueue` (namespace 'default') serving the workflows with mocked activities. */
export function mockedWorker(connection: NativeConnection, taskQueue: string, activities: Partial<Activities>): Promise<Worker> {
  return Worker.create({ connection, namespace: 'default', taskQueue, ...workflowSource(), activities });
}
