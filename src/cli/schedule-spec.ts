// What a `schedule create` or `schedule update` asks for, as Temporal's schedule API takes it:
// when (an interval or a cron expression, with jitter), what (a backup or a Picker round, with
// the same memo, search attributes and summary as when the CLI starts one), and the policies
// that suit a backup: skip a run while the previous one still runs, catch up at most one run.
import type { ScheduleOptionsStartWorkflowAction, ScheduleSpec } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { backup } from '../workflows/backup.js';
import type { BackupInput } from '../workflows/messages.js';
import { pick } from '../workflows/pick.js';
import type { PickInput } from '../workflows/pick-messages.js';
import { stringOption, type Parsed } from './args.js';
import { UsageError } from './exit.js';
import { workflowLabels } from './start.js';
import { backupWorkflowId, pickWorkflowId } from './target.js';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Durations like 30s, 15m, 6h, 1d, 2w (or 1h30m) in ms. */
export function parseDuration(name: string, raw: string): number {
  const parts = [...raw.trim().matchAll(/(\d+)([smhdw])/g)];
  const whole = parts.map((p) => p[0]).join('');
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * (UNITS[p[2] ?? 's'] ?? 0), 0);
  if (parts.length === 0 || whole !== raw.trim() || ms <= 0) throw new UsageError(`--${name} must be a duration such as 30s, 15m, 6h, 1d or 2w, got "${raw}"`);
  return ms;
}

export function formatDurationMs(ms: number): string {
  for (const [unit, size] of Object.entries(UNITS).reverse()) if (ms % size === 0 && ms >= size) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** The catch-up window when none is given: after a week asleep, one backup, not seven. */
export const DEFAULT_CATCHUP_MS = UNITS.d ?? 86_400_000;

/** The spec the flags give; undefined when they give no timing (an update that keeps it). */
export function specFromFlags(parsed: Parsed, required: boolean): ScheduleSpec | undefined {
  const [cron, every, jitter] = [stringOption(parsed, 'cron'), stringOption(parsed, 'every'), stringOption(parsed, 'jitter')];
  if (cron !== undefined && every !== undefined) throw new UsageError('give --cron or --every, not both');
  if (cron === undefined && every === undefined) {
    if (required) throw new UsageError('say when: --every DURATION (e.g. 1d) or --cron "EXPR" (e.g. "0 3 * * *", UTC)');
    if (jitter !== undefined) throw new UsageError('--jitter goes with --every or --cron');
    return undefined;
  }
  if (cron !== undefined && cron.trim().split(/\s+/).length < 5) throw new UsageError(`--cron must have five fields (minute hour day-of-month month day-of-week), got "${cron}"`);
  return {
    ...(every !== undefined ? { intervals: [{ every: parseDuration('every', every) }] } : {}),
    ...(cron !== undefined ? { cronExpressions: [cron] } : {}),
    ...(jitter !== undefined ? { jitter: parseDuration('jitter', jitter) } : {}),
  };
}

export type ScheduledRun = { readonly kind: 'backup'; readonly input: BackupInput } | { readonly kind: 'pick'; readonly input: PickInput };

/** The action a schedule takes: start the workflow as the CLI would (its run ids get the start time appended). */
export function actionFor(run: ScheduledRun, taskQueue: string, scheduleName: string): ScheduleOptionsStartWorkflowAction<Workflow> {
  const { input } = run;
  const { memo, typedSearchAttributes, staticSummary } = workflowLabels({ account: input.account, destination: input.destination, source: run.kind === 'pick' ? 'picker' : 'library' });
  const common = { type: 'startWorkflow' as const, taskQueue, memo: { ...memo, schedule: scheduleName }, typedSearchAttributes, staticSummary: `${staticSummary} (schedule ${scheduleName})` };
  return run.kind === 'backup'
    ? { ...common, workflowType: backup, workflowId: backupWorkflowId(input.account, input.destination), args: [run.input] }
    : { ...common, workflowType: pick, workflowId: pickWorkflowId(input.account, input.destination), args: [run.input] };
}

type Ranges = readonly { readonly start: number | string; readonly end?: number | string; readonly step?: number }[];
type Calendar = Partial<Record<'second' | 'minute' | 'hour' | 'dayOfMonth' | 'month' | 'year' | 'dayOfWeek', Ranges>>;

/** The fields of a calendar (a cron expression as the server keeps it) that are not "every". */
function describeCalendar(calendar: Calendar): string {
  const full: Record<string, string> = { second: '0-59', minute: '0-59', hour: '0-23', dayOfMonth: '1-31', month: 'JANUARY-DECEMBER', dayOfWeek: 'SUNDAY-SATURDAY' };
  const fields = (['minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek', 'year'] as const).flatMap((name) => {
    const ranges = calendar[name] ?? [];
    const text = ranges.map((r) => `${r.start}${r.end !== undefined && r.end !== r.start ? `-${r.end}` : ''}${(r.step ?? 1) > 1 ? `/${r.step}` : ''}`).join(',');
    return text === '' || text === full[name] ? [] : [`${name} ${text}`];
  });
  return `calendar (UTC): ${fields.join(', ') || 'every minute'}`;
}

/** One line on when a schedule runs. */
export function describeSpec(spec: { intervals?: readonly { every: number }[]; calendars?: readonly Calendar[]; jitter?: number } | undefined): string {
  const parts = [...(spec?.intervals ?? []).map((i) => `every ${formatDurationMs(i.every)}`), ...(spec?.calendars ?? []).map(describeCalendar)];
  const jitter = spec?.jitter ? ` (jitter up to ${formatDurationMs(spec.jitter)})` : '';
  return `${parts.join('; ') || 'never (no times)'}${jitter}`;
}
