// `gphotos-backup schedule ...`: backups (and Picker rounds) on Temporal Schedules. The server
// keeps the schedule and starts the runs; a run is skipped while the previous one still runs
// (a backup sleeping through the daily quota still runs), and after the server was down (a
// laptop asleep) at most one missed run is caught up.
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleHandle } from '@temporalio/client';
import { flag, parse, stringOption, type OptionSpec, type Parsed } from './args.js';
import { BACKUP_OPTIONS, backupInput } from './backup.js';
import { EXIT, UsageError } from './exit.js';
import { PICK_OPTIONS, pickInput } from './pick.js';
import { actionFor, DEFAULT_CATCHUP_MS, describeSpec, formatDurationMs, parseDuration, specFromFlags, type ScheduledRun } from './schedule-spec.js';
import { connect } from './target.js';

export const SCHEDULE_HELP = `Usage: gphotos-backup schedule <subcommand> [NAME] [options]

Backups on a schedule, kept and started by the Temporal server (a worker must be running).

  create NAME (--every DURATION | --cron "EXPR") [--jitter D] [--catchup-window D] [--paused]
              --dest DEST [backup options]         a backup on every tick
              --pick --dest DEST [pick options]    a Picker round on every tick: it opens a
                                                   session and waits (days) for you to pick
  list                      the schedules, their next run and their last run's outcome
  describe NAME             when it runs, the next runs, the recent runs and their outcomes
  pause NAME [--note TEXT]  no runs until unpaused
  unpause NAME [--note TEXT]
  trigger NAME              run now (skipped while a run is still going)
  backfill NAME --from TIME --to TIME
                            take the runs the schedule would have taken between two ISO times
                            (one run, since a run is skipped while another runs)
  update NAME [--every D | --cron "EXPR"] [--jitter D] [--catchup-window D]
              [--dest DEST [backup options] | --pick --dest DEST [pick options]]
  delete NAME               remove the schedule (a run already started goes on)

Durations: 30s, 15m, 6h, 1d, 2w (or 1h30m). Cron expressions have five fields and are UTC.
Every run is incremental: it lists the whole library and downloads only what the destination
lacks, so photos added since the last run are found even when they were taken years ago.
A run is skipped while the previous one still runs. Catch-up window (default ${formatDurationMs(DEFAULT_CATCHUP_MS)}): runs
missed while the server was down are taken only when they fall in it, and then only one.
Backup and pick options: see \`gphotos-backup backup --help\` and \`gphotos-backup pick --help\`.

Options:
  --json                print machine-readable output
  -h, --help            show this help`;

const SCHEDULE_OPTIONS: OptionSpec = {
  ...BACKUP_OPTIONS,
  ...PICK_OPTIONS,
  pick: { type: 'boolean' },
  every: { type: 'string' },
  cron: { type: 'string' },
  jitter: { type: 'string' },
  'catchup-window': { type: 'string' },
  paused: { type: 'boolean' },
  note: { type: 'string' },
};

const SUBCOMMANDS = ['create', 'list', 'describe', 'pause', 'unpause', 'trigger', 'backfill', 'update', 'delete'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

interface Invocation {
  readonly sub: Subcommand;
  readonly name: string;
  readonly parsed: Parsed;
  readonly json: boolean;
  readonly client: Client;
  readonly taskQueue: string;
}

/** The run the flags describe (a backup, or a Picker round with --pick); undefined without --dest. */
function runFromFlags(parsed: Parsed, required: boolean): ScheduledRun | undefined {
  if (stringOption(parsed, 'dest') === undefined) {
    if (required) throw new UsageError('say what to back up: --dest DIR|s3://BUCKET/PREFIX (and --pick for a Picker round)');
    return undefined;
  }
  if (flag(parsed, 'follow') || flag(parsed, 'wait')) throw new UsageError('--follow and --wait do not apply to a schedule; follow a run with `gphotos-backup status`');
  return flag(parsed, 'pick') ? { kind: 'pick', input: pickInput(parsed) } : { kind: 'backup', input: backupInput(parsed) };
}

function catchupFromFlags(parsed: Parsed): number | undefined {
  const raw = stringOption(parsed, 'catchup-window');
  return raw === undefined ? undefined : parseDuration('catchup-window', raw);
}

async function create({ name, parsed, json, client, taskQueue }: Invocation): Promise<number> {
  const spec = specFromFlags(parsed, true);
  const run = runFromFlags(parsed, true);
  if (!spec || !run) return EXIT.usage;
  const handle = await client.schedule.create({
    scheduleId: name,
    spec,
    action: actionFor(run, taskQueue, name),
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: catchupFromFlags(parsed) ?? DEFAULT_CATCHUP_MS, pauseOnFailure: false },
    state: { paused: flag(parsed, 'paused'), ...(stringOption(parsed, 'note') ? { note: stringOption(parsed, 'note') } : {}) },
    memo: { gphotosBackup: run.kind },
  });
  const description = await handle.describe();
  if (json) console.log(JSON.stringify({ schedule: name, created: true, nextRuns: description.info.nextActionTimes }));
  else console.log(`Schedule ${name} created: a ${run.kind === 'pick' ? 'Picker round' : 'backup'} ${describeSpec(description.spec)}; next run ${description.info.nextActionTimes[0]?.toISOString() ?? 'none'}.`);
  return EXIT.ok;
}

async function update({ name, parsed, json, client, taskQueue }: Invocation): Promise<number> {
  const spec = specFromFlags(parsed, false);
  const run = runFromFlags(parsed, false);
  const catchup = catchupFromFlags(parsed);
  if (!spec && !run && catchup === undefined) throw new UsageError('nothing to update: give --every/--cron, --jitter, --catchup-window or --dest with its options');
  await client.schedule.getHandle(name).update((previous) => ({
    ...previous,
    ...(spec ? { spec } : {}),
    ...(run ? { action: actionFor(run, taskQueue, name) } : {}),
    policies: { ...previous.policies, ...(catchup !== undefined ? { catchupWindow: catchup } : {}) },
  }));
  const description = await client.schedule.getHandle(name).describe();
  if (json) console.log(JSON.stringify({ schedule: name, updated: true, nextRuns: description.info.nextActionTimes }));
  else console.log(`Schedule ${name} updated: ${describeSpec(description.spec)}; next run ${description.info.nextActionTimes[0]?.toISOString() ?? 'none'}.`);
  return EXIT.ok;
}

function timeOption(parsed: Parsed, name: string): Date {
  const raw = stringOption(parsed, name);
  const at = raw === undefined ? Number.NaN : Date.parse(raw);
  if (raw === undefined || Number.isNaN(at)) throw new UsageError(`--${name} must be a time such as 2026-11-01T00:00:00Z${raw === undefined ? '' : `, got "${raw}"`}`);
  return new Date(at);
}

/** pause, unpause, trigger, backfill, delete: one call on the schedule. */
async function act({ sub, name, parsed, json, client }: Invocation): Promise<number> {
  const handle: ScheduleHandle = client.schedule.getHandle(name);
  const note = stringOption(parsed, 'note');
  if (sub === 'pause') await handle.pause(note ?? 'paused with gphotos-backup schedule pause');
  else if (sub === 'unpause') await handle.unpause(note ?? 'unpaused with gphotos-backup schedule unpause');
  else if (sub === 'trigger') await handle.trigger(ScheduleOverlapPolicy.SKIP);
  else if (sub === 'delete') await handle.delete();
  else {
    const [start, end] = [timeOption(parsed, 'from'), timeOption(parsed, 'to')];
    if (end <= start) throw new UsageError('--to must be after --from');
    await handle.backfill({ start, end, overlap: ScheduleOverlapPolicy.SKIP });
  }
  const done = { pause: 'paused', unpause: 'unpaused', trigger: 'triggered (skipped if a run is still going)', delete: 'deleted', backfill: 'backfilled' }[sub as 'pause'];
  if (json) console.log(JSON.stringify({ schedule: name, [sub]: true }));
  else console.log(`Schedule ${name} ${done}.`);
  return EXIT.ok;
}

interface RunOutcome {
  readonly workflowId: string;
  readonly startedAt: string;
  readonly status: string;
  readonly result?: string;
}

/** The outcome of the runs a schedule took (status and the result line the run left in its memo). */
async function outcomes(client: Client, actions: ScheduleDescription['info']['recentActions']): Promise<RunOutcome[]> {
  return Promise.all(
    actions.map(async ({ takenAt, action }) => {
      const base = { workflowId: action.workflow.workflowId, startedAt: takenAt.toISOString() };
      try {
        const d = await client.workflow.getHandle(action.workflow.workflowId).describe();
        const result = typeof d.memo?.result === 'string' ? d.memo.result : undefined;
        return { ...base, status: d.status.name, ...(result ? { result } : {}) };
      } catch {
        return { ...base, status: 'UNKNOWN' };
      }
    }),
  );
}

async function describe({ name, json, client }: Invocation): Promise<number> {
  const d = await client.schedule.getHandle(name).describe();
  const runs = await outcomes(client, d.info.recentActions);
  const kind = d.memo?.gphotosBackup === 'pick' ? 'Picker round' : 'backup';
  const summary = {
    schedule: name,
    kind,
    when: describeSpec(d.spec),
    paused: d.state.paused,
    ...(d.state.note ? { note: d.state.note } : {}),
    catchupWindow: formatDurationMs(d.policies.catchupWindow),
    nextRuns: d.info.nextActionTimes.map((t) => t.toISOString()),
    running: d.info.runningActions.map((a) => a.workflow.workflowId),
    recentRuns: runs,
    runsTaken: d.info.numActionsTaken,
    skippedWhileRunning: d.info.numActionsSkippedOverlap,
    missedOutsideCatchupWindow: d.info.numActionsMissedCatchupWindow,
  };
  if (json) {
    console.log(JSON.stringify(summary));
    return EXIT.ok;
  }
  console.log(`Schedule ${name}: a ${kind} ${summary.when}${d.state.paused ? ` (paused${d.state.note ? `: ${d.state.note}` : ''})` : ''}; catch-up window ${summary.catchupWindow}.`);
  console.log(`Next runs: ${summary.nextRuns.slice(0, 3).join(', ') || 'none'}`);
  console.log(`Runs taken: ${summary.runsTaken}; skipped while the previous one still ran: ${summary.skippedWhileRunning}; missed outside the catch-up window: ${summary.missedOutsideCatchupWindow}.`);
  for (const run of runs) console.log(`  ${run.startedAt} ${run.workflowId}: ${run.status.toLowerCase()}${run.result ? `, ${run.result}` : ''}`);
  return EXIT.ok;
}

async function list({ json, client }: Invocation): Promise<number> {
  const rows: { schedule: string; kind: string; when: string; paused: boolean; nextRun: string | null; lastRun: string | null }[] = [];
  for await (const s of client.schedule.list()) {
    const last = s.info.recentActions.at(-1);
    rows.push({
      schedule: s.scheduleId,
      kind: s.memo?.gphotosBackup === 'pick' ? 'pick' : s.memo?.gphotosBackup === 'backup' ? 'backup' : 'other',
      when: describeSpec(s.spec),
      paused: s.state.paused,
      nextRun: s.info.nextActionTimes[0]?.toISOString() ?? null,
      lastRun: last ? `${last.takenAt.toISOString()} ${last.action.workflow.workflowId}` : null,
    });
  }
  if (json) console.log(JSON.stringify(rows));
  else if (rows.length === 0) console.log('No schedules. Create one with `gphotos-backup schedule create NAME --every 1d --dest DIR`.');
  else for (const r of rows) console.log(`${r.schedule}: ${r.kind} ${r.when}${r.paused ? ' (paused)' : ''}; next ${r.nextRun ?? 'none'}; last ${r.lastRun ?? 'none yet'}`);
  return EXIT.ok;
}

const RUN: Record<Subcommand, (inv: Invocation) => Promise<number>> = { create, update, describe, list, pause: act, unpause: act, trigger: act, backfill: act, delete: act };

export async function scheduleCommand(argv: readonly string[]): Promise<number> {
  const parsed = parse(argv, SCHEDULE_OPTIONS, true);
  const [sub, name, ...extra] = parsed.positionals;
  if (flag(parsed, 'help') || sub === undefined) {
    console.log(SCHEDULE_HELP);
    return flag(parsed, 'help') ? EXIT.ok : EXIT.usage;
  }
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`unknown subcommand "${sub}"; one of ${SUBCOMMANDS.join(', ')}`);
  if (sub !== 'list' && (name === undefined || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name))) throw new UsageError(`schedule ${sub} needs a NAME of letters, digits, '.', '_' or '-'${name ? `, got "${name}"` : ''}`);
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  const { client, target, close } = await connect();
  try {
    return await RUN[sub as Subcommand]({ sub: sub as Subcommand, name: name ?? '', parsed, json: flag(parsed, 'json'), client, taskQueue: target.taskQueue });
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) {
      console.error(`no schedule named ${name ?? ''}; \`gphotos-backup schedule list\` shows them`);
      return EXIT.failed;
    }
    throw error;
  } finally {
    await close();
  }
}
