// `node dist/scripts/record-histories.js [--out DIR] [--only PLAN]`: records the event histories of real runs of
// every workflow type (real Temporal dev server, the emulator, a real worker with real activities)
// as JSON files that test/replay.test.ts replays against the current workflow code. Run it after
// `npm run build` and `bash scripts/provision-tools.sh`; commit what it writes (by default
// test/histories/<today, UTC>/). Libraries are kept small so the files stay small.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { EmulatorOptions } from '../src/emulator/server.js';
import { installRuntime } from '../src/temporal/runtime.js';
import { packageRoot } from '../src/tools/tools.js';
import { backup } from '../src/workflows/backup.js';
import { listLibrary } from '../src/workflows/list-library.js';
import { pick } from '../src/workflows/pick.js';
import { importTakeout } from '../src/workflows/import-takeout.js';
import { DEFAULT_TAKEOUT_OPTIONS } from '../src/workflows/takeout-messages.js';
import { truncatePart, writeTakeout } from '../test/harness/takeout-fixture.js';
import { DEFAULT_PICK_OPTIONS, pickProgressQuery, type PickOptions } from '../src/workflows/pick-messages.js';
import { DEFAULT_BACKUP_OPTIONS, pauseSignal, progressQuery, resumeSignal, SEARCH_ATTRIBUTES, type BackupOptions } from '../src/workflows/messages.js';
import { historyToJson } from '../test/harness/history-json.js';
import { ACCOUNT, startStack, type Stack } from '../test/harness/stack.js';
import { tempDir } from '../test/harness/tmp.js';
import { progressWhen, until } from '../test/harness/wait.js';

interface Recording {
  readonly stack: Stack;
  readonly outDir: string;
  readonly saved: string[];
}

/** Saves the handle's first run and the runs it continued as new into, as NAME.json or NAME.N.json. */
async function save(rec: Recording, name: string, handle: WorkflowHandleWithFirstExecutionRunId): Promise<void> {
  const runs = [];
  let runId: string | undefined = handle.firstExecutionRunId;
  while (runId) {
    const history = await rec.stack.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    runs.push(history);
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  runs.forEach((history, i) => {
    const file = join(rec.outDir, `${name}${runs.length > 1 ? `.${i + 1}` : ''}.json`);
    writeFileSync(file, historyToJson(history));
    rec.saved.push(file);
  });
}

/** Starts a backup the way `gphotos-backup backup` does (memo, search attributes) into a fresh folder. */
function startBackup(rec: Recording, workflowId: string, options: Partial<BackupOptions> = {}, dest = join(tempDir('record'), 'photos')): Promise<WorkflowHandleWithFirstExecutionRunId<typeof backup>> {
  const attributes = { [SEARCH_ATTRIBUTES.account]: ACCOUNT, [SEARCH_ATTRIBUTES.destination]: dest, [SEARCH_ATTRIBUTES.source]: 'library' };
  return rec.stack.client.workflow.start(backup, {
    taskQueue: rec.stack.taskQueue,
    workflowId,
    args: [{ account: { account: ACCOUNT }, destination: { kind: 'disk', path: dest }, options: { ...DEFAULT_BACKUP_OPTIONS, processingWaitSeconds: 0, ...options } }],
    memo: { account: ACCOUNT, destination: dest, source: 'library' },
    typedSearchAttributes: Object.entries(attributes).map(([key, value]) => ({ key: defineSearchAttributeKey(key, SearchAttributeType.KEYWORD), value })),
  });
}

type Scenario = (rec: Recording) => Promise<void>;

interface StackPlan {
  /** What `--only NAME` selects. */
  readonly name: string;
  readonly emulator: EmulatorOptions;
  readonly dynamicConfig?: Record<string, number>;
  readonly scenarios: readonly Scenario[];
}

/** Runs the plan's scenarios on a fresh stack (dev server, emulator, in-process worker), then stops it. */
async function onStack(outDir: string, saved: string[], plan: StackPlan): Promise<void> {
  const stack = await startStack(plan.emulator, plan.dynamicConfig ? { dynamicConfig: plan.dynamicConfig } : {});
  try {
    const { worker, close } = await stack.inProcessWorker();
    try {
      await worker.runUntil(async () => {
        for (const scenario of plan.scenarios) await scenario({ stack, outDir, saved });
      });
    } finally {
      await close();
    }
  } finally {
    await stack.close();
  }
}

async function normalAndRerun(rec: Recording): Promise<void> {
  const dest = join(tempDir('record'), 'photos');
  const first = await startBackup(rec, 'backup/normal', {}, dest);
  await first.result();
  await save(rec, 'backup-normal', first);
  const again = await startBackup(rec, 'backup/normal', {}, dest);
  const summary = await again.result();
  if (summary.stored !== 0 || summary.skipped === 0) throw new Error(`a re-run stored ${summary.stored} and skipped ${summary.skipped}`);
  await save(rec, 'backup-rerun', again);
}

async function dailyQuota(rec: Recording): Promise<void> {
  // The day ends in a few seconds: the quota window resets then, and so does the workflow's clock.
  const resetAt = new Date(Date.now() + 5000);
  rec.stack.emulator.setBehaviour({ quota: { resetOffsetMs: resetAt.getTime() % (24 * 3600 * 1000) } });
  rec.stack.emulator.exhaustQuota('libraryMedia');
  const handle = await startBackup(rec, 'backup/quota', { quotaResetUtc: resetAt.toISOString().slice(11, 19), quotaResetMarginSeconds: 1 });
  await progressWhen(handle, (p) => p.status === 'sleeping-for-quota');
  await handle.result();
  await save(rec, 'backup-daily-quota', handle);
}

async function cancelled(rec: Recording): Promise<void> {
  rec.stack.emulator.addFault({ target: 'media', kind: 'slow', probability: 1, delayMs: 300 });
  const handle = await startBackup(rec, 'backup/cancelled');
  await progressWhen(handle, (p) => p.batchesInFlight > 0);
  await new Promise((r) => setTimeout(r, 1000));
  await handle.cancel();
  await handle.result().then(
    () => Promise.reject(new Error('the cancelled backup completed')),
    () => undefined,
  );
  rec.stack.emulator.clearFaults();
  await save(rec, 'backup-cancelled', handle);
}

async function processingVideo(rec: Recording): Promise<void> {
  // The library's PROCESSING video becomes READY only when the emulator's clock is moved on.
  const handle = await startBackup(rec, 'backup/processing', { processingWaitSeconds: 120, processingRetrySeconds: 2 });
  await progressWhen(handle, (p) => p.status === 'waiting-for-processing');
  await new Promise((r) => setTimeout(r, 3000));
  rec.stack.emulator.advanceClock(2 * 3600 * 1000);
  const summary = await handle.result();
  if (summary.stillProcessing.length > 0) throw new Error('the video never became READY');
  await save(rec, 'backup-processing-retries', handle);
}

async function listing(rec: Recording): Promise<void> {
  const handle = await rec.stack.client.workflow.start(listLibrary, { taskQueue: rec.stack.taskQueue, workflowId: 'list/library', args: [{ account: { account: ACCOUNT } }] });
  await handle.result();
  await save(rec, 'list-library', handle);
}

/** Pauses during the first page's batch (concurrency 1), checks that nothing more is listed, resumes. */
async function pausedAndResumed(rec: Recording, name: string): Promise<void> {
  rec.stack.emulator.addFault({ target: 'media', kind: 'slow', probability: 1, delayMs: 20 });
  const handle = await startBackup(rec, `backup/${name}`, { concurrency: 1 });
  await progressWhen(handle, (p) => p.batchesInFlight > 0);
  await handle.signal(pauseSignal);
  const paused = await progressWhen(handle, (p) => p.status === 'paused' && p.batchesInFlight === 0 && p.stored > 0);
  await new Promise((r) => setTimeout(r, 1000));
  if ((await handle.query(progressQuery)).listed !== paused.listed) throw new Error('the paused backup listed more');
  rec.stack.emulator.clearFaults();
  await handle.signal(resumeSignal);
  await handle.result();
  await save(rec, name, handle);
}

async function continuedAsNew(rec: Recording): Promise<void> {
  const handle = await startBackup(rec, 'backup/continue-as-new');
  const summary = await handle.result();
  if (summary.runs < 2) throw new Error('the backup did not continue as new');
  await save(rec, 'backup-continue-as-new', handle);
}

/** One item whose media always answers 503: handed back, tried in the final round, recorded as failed. */
async function failingItem(rec: Recording): Promise<void> {
  const bad = rec.stack.emulator.library.items.find((item) => item.kind === 'photo' && item.appCreated);
  if (!bad) throw new Error('the library has no photo');
  rec.stack.emulator.addFault({ target: 'media', kind: 'server-error', itemId: bad.id, probability: 1, status: 503 });
  const handle = await startBackup(rec, 'backup/failing-item');
  const summary = await handle.result();
  rec.stack.emulator.clearFaults();
  if (summary.failed !== 1) throw new Error(`expected one failed item, got ${summary.failed}`);
  await save(rec, 'backup-failing-item', handle);
}

/** Starts a pick the way `gphotos-backup pick` does (memo, search attributes) into a fresh folder. */
function startPick(rec: Recording, workflowId: string, options: Partial<PickOptions> = {}): Promise<WorkflowHandleWithFirstExecutionRunId<typeof pick>> {
  const dest = join(tempDir('record'), 'photos');
  const attributes = { [SEARCH_ATTRIBUTES.account]: ACCOUNT, [SEARCH_ATTRIBUTES.destination]: dest, [SEARCH_ATTRIBUTES.source]: 'picker' };
  return rec.stack.client.workflow.start(pick, {
    taskQueue: rec.stack.taskQueue,
    workflowId,
    args: [{ account: { account: ACCOUNT }, destination: { kind: 'disk', path: dest }, options: { ...DEFAULT_PICK_OPTIONS, processingWaitSeconds: 0, ...options } }],
    memo: { account: ACCOUNT, destination: dest, source: 'picker' },
    typedSearchAttributes: Object.entries(attributes).map(([key, value]) => ({ key: defineSearchAttributeKey(key, SearchAttributeType.KEYWORD), value })),
  });
}

/** The person picks after a few polls: two pages of picked items are downloaded. */
async function picked(rec: Recording): Promise<void> {
  const handle = await startPick(rec, 'pick/picked');
  let sessionId = '';
  await until(async () => {
    const p = await handle.query(pickProgressQuery);
    sessionId = p.sessionId ?? '';
    return p.polls >= 2;
  });
  rec.stack.emulator.pick(sessionId, { count: 120 });
  const summary = await handle.result();
  if (summary.outcome !== 'picked' || summary.stored !== 120) throw new Error(`the pick stored ${summary.stored} (${summary.outcome})`);
  await save(rec, 'pick-picked', handle);
}

/** Nobody picks: the session expires and the pick ends as expired. */
async function expiredUnpicked(rec: Recording): Promise<void> {
  rec.stack.emulator.setBehaviour({ pickerSessionTtlMs: 1500 });
  const handle = await startPick(rec, 'pick/expired');
  const summary = await handle.result();
  rec.stack.emulator.setBehaviour({ pickerSessionTtlMs: 7 * 24 * 3600 * 1000 });
  if (summary.outcome !== 'expired') throw new Error(`the unpicked session ended as ${summary.outcome}`);
  await save(rec, 'pick-expired', handle);
}

/** The session the pick waits on, once it has polled `polls` times (and is in round `round`). */
async function waitingSession(handle: WorkflowHandleWithFirstExecutionRunId<typeof pick>, polls: number, round = 1): Promise<string> {
  let sessionId = '';
  await until(async () => {
    const p = await handle.query(pickProgressQuery).catch(() => undefined);
    sessionId = p?.status === 'waiting-for-pick' && (p.round ?? 1) === round ? (p.sessionId ?? '') : '';
    return sessionId !== '' && (p?.polls ?? 0) >= polls;
  });
  return sessionId;
}

/** Two rounds: a session, its items stored, the run continued as new, a second session. */
async function pickedInRounds(rec: Recording): Promise<void> {
  const handle = await startPick(rec, 'pick/rounds', { sessions: 2 });
  const ids = rec.stack.emulator.library.items.map((item) => item.id);
  rec.stack.emulator.pick(await waitingSession(handle, 1), { mediaItemIds: ids.slice(0, 30) });
  rec.stack.emulator.pick(await waitingSession(handle, 1, 2), { mediaItemIds: ids.slice(20, 60) });
  const summary = await handle.result();
  if (summary.roundsPicked !== 2 || summary.stored !== 60) throw new Error(`two rounds stored ${summary.stored} in ${summary.roundsPicked} rounds`);
  await save(rec, 'pick-rounds', handle);
}

/** The person presses Done with nothing picked. */
async function nothingPicked(rec: Recording): Promise<void> {
  const handle = await startPick(rec, 'pick/nothing');
  rec.stack.emulator.pick(await waitingSession(handle, 1), { mediaItemIds: [] });
  const summary = await handle.result();
  if (summary.outcome !== 'nothing-picked') throw new Error(`an empty pick ended as ${summary.outcome}`);
  await save(rec, 'pick-nothing-picked', handle);
}

/** The server suggests continue-as-new while the person takes their time: the run carries the session on. */
async function pickedAcrossContinueAsNew(rec: Recording): Promise<void> {
  const handle = await startPick(rec, 'pick/continued');
  await until(async () => (await handle.describe()).runId !== handle.firstExecutionRunId);
  rec.stack.emulator.pick(await waitingSession(handle, 1), { count: 40 });
  const summary = await handle.result();
  if (summary.stored !== 40) throw new Error(`the continued pick stored ${summary.stored}`);
  await save(rec, 'pick-continued-while-waiting', handle);
}

/** Starts a Takeout import the way `gphotos-backup import-takeout` does into a fresh folder. */
function startImport(rec: Recording, workflowId: string, parts: readonly string[]): Promise<WorkflowHandleWithFirstExecutionRunId<typeof importTakeout>> {
  const dest = join(tempDir('record'), 'photos');
  const attributes = { [SEARCH_ATTRIBUTES.destination]: dest, [SEARCH_ATTRIBUTES.source]: 'takeout' };
  return rec.stack.client.workflow.start(importTakeout, {
    taskQueue: rec.stack.taskQueue,
    workflowId,
    args: [{ destination: { kind: 'disk', path: dest }, parts, options: DEFAULT_TAKEOUT_OPTIONS }],
    memo: { destination: dest, source: 'takeout' },
    typedSearchAttributes: Object.entries(attributes).map(([key, value]) => ({ key: defineSearchAttributeKey(key, SearchAttributeType.KEYWORD), value })),
  });
}

/** A three-part zip Takeout imported whole. */
async function takeoutImported(rec: Recording): Promise<void> {
  const fixture = await writeTakeout(tempDir('record-takeout'), { format: 'zip', parts: 3 });
  const handle = await startImport(rec, 'takeout/imported', fixture.parts);
  const summary = await handle.result();
  if (summary.stored !== fixture.items.length) throw new Error(`the import stored ${summary.stored} of ${fixture.items.length}`);
  await save(rec, 'takeout-imported', handle);
}

/** The last part still downloading: the others are imported, and the run fails naming the part. */
async function takeoutTruncatedPart(rec: Recording): Promise<void> {
  const fixture = await writeTakeout(tempDir('record-takeout'), { format: 'tgz', parts: 3 });
  await truncatePart(fixture.parts.at(-1) as string, 0.5);
  const handle = await startImport(rec, 'takeout/truncated', fixture.parts);
  await handle.result().then(
    () => Promise.reject(new Error('an import with a truncated part completed')),
    () => undefined,
  );
  await save(rec, 'takeout-truncated-part', handle);
}

function onlyFromArgs(): string | undefined {
  const at = process.argv.indexOf('--only');
  return at > 0 ? process.argv[at + 1] : undefined;
}

function outDirFromArgs(): string {
  const at = process.argv.indexOf('--out');
  const given = at > 0 ? process.argv[at + 1] : undefined;
  const dir = given ?? join(packageRoot(__dirname), 'test', 'histories', new Date().toISOString().slice(0, 10));
  mkdirSync(dir, { recursive: true });
  return dir;
}

const PLANS: readonly StackPlan[] = [
  // A small mixed library (photos, a video still PROCESSING until the emulator's clock moves on).
  { name: 'backup-mixed', emulator: { preset: 'mixed', items: 20, processingReadyAfterMs: 3600 * 1000 }, scenarios: [normalAndRerun, dailyQuota, cancelled, listing, processingVideo, failingItem] },
  // Two pages of tiny photos: a pause holds the second page back.
  { name: 'backup-paused', emulator: { preset: 'large', items: 100 }, scenarios: [(rec) => pausedAndResumed(rec, 'backup-paused-resumed')] },
  // The same with the server suggesting continue-as-new at once: runs that carry their state on, a pause too.
  {
    name: 'backup-continue-as-new',
    emulator: { preset: 'large', items: 100 },
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 2 },
    scenarios: [continuedAsNew, (rec) => pausedAndResumed(rec, 'backup-paused-across-continue-as-new')],
  },
  // The pick workflow: a person who picks after a few polls (short poll interval), and one who never does.
  { name: 'pick', emulator: { preset: 'large', items: 150, behaviour: { pickerPollIntervalMs: 300 } }, scenarios: [picked, expiredUnpicked, pickedInRounds, nothingPicked] },
  // The same with the server suggesting continue-as-new at once: a pick that waits across runs.
  {
    name: 'pick-continue-as-new',
    emulator: { preset: 'large', items: 60, behaviour: { pickerPollIntervalMs: 300 } },
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 10 },
    scenarios: [pickedAcrossContinueAsNew],
  },
  // The importTakeout workflow: a whole import, and one with a part still downloading.
  { name: 'takeout', emulator: { preset: 'large', items: 10 }, scenarios: [takeoutImported, takeoutTruncatedPart] },
];

async function main(): Promise<void> {
  installRuntime(process.env.GPHOTOS_LOG_LEVEL, 'ERROR');
  const outDir = outDirFromArgs();
  const saved: string[] = [];
  const only = onlyFromArgs();
  for (const plan of PLANS.filter((p) => only === undefined || p.name === only)) await onStack(outDir, saved, plan);
  for (const file of saved) console.log(relative(process.cwd(), file));
  console.log(`${saved.length} histories recorded in ${relative(process.cwd(), outDir) || '.'}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
