// Temporal history as searchable text: payload bytes decoded as UTF-8 so tests can look for
// leaked secrets (tokens, baseUrls) exactly as the Web UI would show them.
import type { Client } from '@temporalio/client';

export function historyText(history: unknown): string {
  // `this[key]` is the value before Buffer#toJSON turned it into {type, data}.
  return JSON.stringify(history, function (this: Record<string, unknown>, key: string, value: unknown) {
    const original = this[key];
    if (original instanceof Uint8Array) return Buffer.from(original).toString('utf8');
    // fetchHistory() gives proto JSON, where payload bytes are base64 strings.
    if (key === 'data' && typeof value === 'string') return Buffer.from(value, 'base64').toString('utf8');
    return value;
  });
}

export async function fetchHistoryText(client: Client, workflowId: string, runId?: string): Promise<string> {
  return historyText(await client.workflow.getHandle(workflowId, runId).fetchHistory());
}
