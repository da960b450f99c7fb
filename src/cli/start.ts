// Starting a workflow from the CLI: attach to the one already running under the same business
// id, with the search attributes the Web UI filters by. A server without those attributes still
// runs the workflow, and the person is told how to register them.
import type { Client, WorkflowHandleWithFirstExecutionRunId, WorkflowStartOptions } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType, type Workflow } from '@temporalio/common';

/** Starts `workflow` (or attaches to the running one) with Keyword search attributes by name. */
export async function startWithSearchAttributes<T extends Workflow>(
  client: Client,
  workflow: T,
  options: WorkflowStartOptions<T>,
  attributes: Record<string, string>,
): Promise<WorkflowHandleWithFirstExecutionRunId<T>> {
  const attach = { ...options, workflowIdConflictPolicy: 'USE_EXISTING' as const };
  const names = Object.keys(attributes);
  try {
    return await client.workflow.start(workflow, {
      ...attach,
      typedSearchAttributes: Object.entries(attributes).map(([name, value]) => ({ key: defineSearchAttributeKey(name, SearchAttributeType.KEYWORD), value })),
    });
  } catch (error) {
    if (!/search attribute/i.test((error as Error).message)) throw error;
    console.error(
      `warning: the Temporal server has no ${names.join(', ')} search attributes; the workflow runs, but the Web UI cannot filter by them. ` +
        `Register them with: ${names.map((k) => `temporal operator search-attribute create --name ${k} --type Keyword`).join(' && ')}`,
    );
    return client.workflow.start(workflow, attach);
  }
}
