// `gphotos-backup status` without an id: the recent backups, picks and Takeout imports (newest first, with their
// state and one-line result) and the schedules, in our terms rather than Temporal's.
import type { Client } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../workflows/messages.js';
import { EXIT } from './exit.js';
import { describeSpec } from './schedule-spec.js';

const SHOWN = 20;

interface RecentRun {
  readonly workflowId: string;
  readonly kind: string;
  readonly state: string;
  readonly startedAt: string;
  readonly destination?: string;
  readonly result?: string;
}

async function recentRuns(client: Client): Promise<RecentRun[]> {
  const runs: RecentRun[] = [];
  for await (const w of client.workflow.list({ query: 'WorkflowType = "backup" OR WorkflowType = "pick" OR WorkflowType = "importTakeout"', pageSize: SHOWN })) {
    const memo = w.memo ?? {};
    runs.push({
      workflowId: w.workflowId,
      kind: w.type,
      state: w.status.name,
      startedAt: w.startTime.toISOString(),
      ...(typeof memo.destination === 'string' ? { destination: memo.destination } : {}),
      ...(typeof memo.result === 'string' ? { result: memo.result } : {}),
    });
    if (runs.length >= SHOWN) break;
  }
  return runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

async function schedules(client: Client): Promise<{ schedule: string; when: string; paused: boolean }[]> {
  const rows = [];
  for await (const s of client.schedule.list()) rows.push({ schedule: s.scheduleId, when: describeSpec(s.spec), paused: s.state.paused });
  return rows;
}

export async function showRecent(client: Client, json: boolean): Promise<number> {
  const [runs, scheduled] = await Promise.all([recentRuns(client), schedules(client)]);
  if (json) {
    console.log(JSON.stringify({ runs, schedules: scheduled }));
    return EXIT.ok;
  }
  if (runs.length === 0) console.log('No backups or picks yet. Start one with `gphotos-backup backup --dest DIR`.');
  for (const r of runs) console.log(`${r.startedAt.slice(0, 16).replace('T', ' ')}  ${(r.kind === 'importTakeout' ? 'takeout' : r.kind).padEnd(7)} ${r.state.toLowerCase().padEnd(10)} ${r.workflowId}${r.destination ? ` → ${r.destination}` : ''}${r.result ? `: ${r.result}` : ''}`);
  if (scheduled.length > 0) console.log(`Schedules: ${scheduled.map((s) => `${s.schedule} (${s.when}${s.paused ? ', paused' : ''})`).join('; ')}`);
  console.log(`Filter them in the Web UI with ${SEARCH_ATTRIBUTES.source}="picker", ${SEARCH_ATTRIBUTES.account}="default" or ${SEARCH_ATTRIBUTES.destination}="..."; \`status ID\` shows one.`);
  return EXIT.ok;
}
