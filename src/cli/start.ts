// Starting a workflow from the CLI: attach to the one already running under the same business
// id, with the memo and the search attributes (account, destination, source) the Web UI shows
// and filters by. A server without those attributes still runs the workflow, and the person is
// told how to register them.
import type { Client, WorkflowHandleWithFirstExecutionRunId, WorkflowStartOptions } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair, type Workflow } from '@temporalio/common';
import { destinationLabel, type DestinationSpec } from '../destination.js';
import { accountLabel, type AccountRef } from '../google/account.js';
import type { SourceName } from '../manifest/manifest.js';
import { SEARCH_ATTRIBUTES } from '../workflows/messages.js';

/** What the workflow is about: shown in the memo, filtered by in the Web UI. */
export interface StartLabels {
  /** Absent for a Takeout import (its archives name no sign-in). */
  readonly account?: AccountRef;
  readonly destination: DestinationSpec;
  readonly source: SourceName;
}

/** What a started workflow carries about itself: memo, search attributes, and the Web UI's one-line summary. */
export function workflowLabels(about: StartLabels): { memo: Record<string, string>; typedSearchAttributes: SearchAttributePair[]; staticSummary: string } {
  const account = about.account && accountLabel(about.account);
  const labels = { ...(account !== undefined ? { account } : {}), destination: destinationLabel(about.destination), source: about.source };
  const attributes = { ...(account !== undefined ? { [SEARCH_ATTRIBUTES.account]: account } : {}), [SEARCH_ATTRIBUTES.destination]: labels.destination, [SEARCH_ATTRIBUTES.source]: labels.source };
  const from = about.source === 'picker' ? 'Google Photos, picked' : about.source === 'takeout' ? 'Google Takeout' : 'Google Photos';
  return {
    memo: labels,
    typedSearchAttributes: Object.entries(attributes).map(([name, value]) => ({ key: defineSearchAttributeKey(name, SearchAttributeType.KEYWORD), value })),
    staticSummary: `${from}${account !== undefined ? ` (${account})` : ''} → ${labels.destination}`,
  };
}

/** The command that registers our search attributes on a server that lacks them. */
export function registerAttributesHint(): string {
  return Object.values(SEARCH_ATTRIBUTES)
    .map((name) => `temporal operator search-attribute create --name ${name} --type Keyword`)
    .join(' && ');
}

/** Starts `workflow` (or attaches to the running one) with the memo and search attributes of its account, destination and source. */
export async function startForDestination<T extends Workflow>(
  client: Client,
  workflow: T,
  start: WorkflowStartOptions<T>,
  about: StartLabels,
): Promise<WorkflowHandleWithFirstExecutionRunId<T>> {
  const { typedSearchAttributes, ...labels } = workflowLabels(about);
  const options = { ...start, ...labels, workflowIdConflictPolicy: 'USE_EXISTING' as const };
  try {
    return await client.workflow.start(workflow, { ...options, typedSearchAttributes });
  } catch (error) {
    if (!/search attribute/i.test((error as Error).message)) throw error;
    console.error(
      `warning: the Temporal server has no ${Object.values(SEARCH_ATTRIBUTES).join(', ')} search attributes; the workflow runs, but the Web UI cannot filter by them. ` +
        `Register them with: ${registerAttributesHint()}`,
    );
    return client.workflow.start(workflow, options);
  }
}
