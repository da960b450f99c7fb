// pick: backs up the items a person picks in Google Photos through the Picker API, in rounds of
// one session each (up to 2,000 items a session). A round creates a session and shows its
// pickerUri (query and memo), polls sessions.get with durable timers at the session's own
// pollInterval (one timer and one activity a poll; slower once the wait is long) until the
// person has picked or the session expires, then pages through the picked items and stores them
// with the shared downloadBatch, retries videos still PROCESSING and gives transient failures a
// final round. The session is deleted at the end of its round, also when the run is cancelled or
// fails. A run continues as new between rounds, and while the person takes long to pick.
// Every change to the commands these steps issue goes behind patched() (README: Versioning).
import { CancellationScope, continueAsNew, log, patched, proxyActivities, setCurrentDetails, setHandler, sleep, upsertMemo, workflowInfo } from '@temporalio/workflow';
import { batchSummary, pickDetails } from './details.js';
import type { Activities } from '../activities/index.js';
import type { CreatedPickerSession } from '../activities/picker-sessions.js';
import type { MediaDescriptor } from '../sources/descriptor.js';
import { resultMemo } from './backup-failures.js';
import { batchesInFlight, downloadActivityOptions, DownloadBatches, paceOf } from './batches.js';
import {
  DEFAULT_PICK_OPTIONS,
  pickProgressQuery,
  type PickCarry,
  type PickInput,
  type PickProgress,
  type PickStatus,
  type PickSummary,
  type ResolvedPickOptions,
  type RoundOutcome,
} from './pick-messages.js';
import { finalRound, QuotaSleep, retryProcessing, type StepHost } from './run-steps.js';

/** Never poll faster than this, whatever a session suggests. */
const MIN_POLL_MS = 100;
/** After waiting this long for the person, poll at most every LONG_WAIT_POLL_MS (fewer events, same outcome). */
const LONG_WAIT_MS = 10 * 60 * 1000;
const LONG_WAIT_POLL_MS = 30 * 1000;
/** Patch of rounds, continue-as-new, PROCESSING retries and the final round (picks started before run one round). */
const ROUNDS_PATCH = 'pick-rounds';

function activitiesFor(input: PickInput) {
  return {
    session: proxyActivities<Activities>({
      startToCloseTimeout: '1 minute',
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
    }),
    downloads: proxyActivities<Activities>(downloadActivityOptions(input.options.heartbeatTimeoutSeconds)),
  };
}

type WaitResult = 'picked' | 'expired' | 'continue';

export class PickRun implements StepHost {
  private readonly activities: ReturnType<typeof activitiesFor>;
  private readonly options: ResolvedPickOptions;
  private readonly carry: PickCarry;
  /** Whether this pick runs rounds (false when replaying a pick started before them). */
  private readonly rounds: boolean;
  private readonly quota: QuotaSleep;
  private session: CreatedPickerSession | undefined;
  private status: PickStatus = 'creating-session';
  readonly batches: DownloadBatches;
  private polls: number;
  private stillProcessing: number;

  constructor(private readonly input: PickInput) {
    this.activities = activitiesFor(input);
    this.options = { ...DEFAULT_PICK_OPTIONS, ...input.options };
    this.rounds = patched(ROUNDS_PATCH);
    const counters = { listed: 0, stored: 0, storedBytes: 0, skipped: 0, failed: 0 };
    this.carry = input.carry ?? { counters, recentFailures: [], startedAt: new Date().toISOString(), roundsDone: 0, roundsPicked: 0, polls: 0, stillProcessing: 0 };
    this.batches = new DownloadBatches(this.carry, () => this.show());
    this.session = this.carry.session;
    if (this.session) this.status = 'waiting-for-pick';
    this.polls = this.carry.polls;
    this.stillProcessing = this.carry.stillProcessing;
    this.quota = new QuotaSleep(this.options, () => this.show());
  }

  /** Keeps the Web UI's current details in step with the run. */
  private show(): void {
    setCurrentDetails(pickDetails(this.progress(), Date.now()));
  }

  progress(): PickProgress {
    const s = this.session;
    const { counters, recentFailures } = this.batches;
    return {
      ...counters,
      status: this.quota.until !== undefined ? 'sleeping-for-quota' : this.status,
      ...(s ? { pickerUri: s.pickerUri, sessionId: s.sessionId, ...(s.expireTime ? { expireTime: s.expireTime } : {}) } : {}),
      polls: this.polls,
      ...(this.rounds ? { round: this.carry.roundsDone + 1, rounds: this.options.sessions } : {}),
      ...(this.quota.until !== undefined ? { sleepingUntil: new Date(this.quota.until).toISOString() } : {}),
      stillProcessing: this.videosStillProcessing,
      recentFailures,
    };
  }

  /** Videos Google is still processing: those earlier rounds left, and this round's deferred ones. */
  private get videosStillProcessing(): number {
    return this.stillProcessing + this.batches.deferred.length;
  }

  get concurrency(): number {
    return batchesInFlight(this.options.concurrency, this.options.maxMediaPerSecond);
  }

  paused(): boolean {
    return false;
  }

  enter(phase: PickStatus): void {
    this.status = phase;
    this.show();
  }

  /**
   * One round: a session, the wait for the person, the downloads, the summary when it is the last
   * round (told to the Web UI before the session goes), and the session deleted (unless the run
   * continues as new while waiting).
   */
  async round(): Promise<{ readonly outcome: RoundOutcome | 'continue'; readonly summary?: PickSummary }> {
    if (!this.session) await this.createSession();
    // A run continued while the person picks: the memo of a new run holds only what the pick started with.
    else upsertMemo({ pickerUri: this.session.pickerUri, pickerSessionId: this.session.sessionId });
    let waiting = false;
    try {
      const outcome = await this.roundSteps();
      waiting = outcome === 'continue';
      return outcome === 'continue' || this.another(outcome) ? { outcome } : { outcome, summary: this.finish(outcome) };
    } finally {
      if (!waiting) await this.deleteSession();
    }
  }

  private async roundSteps(): Promise<RoundOutcome | 'continue'> {
    const waited = await this.waitForPick();
    if (waited !== 'picked') return waited;
    const listed = await this.downloadAll();
    if (listed === 0 && this.rounds) return 'nothing-picked';
    if (this.rounds) await this.afterDownloads();
    return 'picked';
  }

  /** Whether another round follows one that ended so. */
  private another(outcome: RoundOutcome): boolean {
    const { sessions } = this.options;
    return this.rounds && outcome === 'picked' && (sessions === 0 || this.carry.roundsDone + 1 < sessions);
  }

  /** Continues as new: after a round (the next one opens a session) or while the person picks. */
  async continueAsNew(outcome: RoundOutcome | 'continue'): Promise<never> {
    const { counters, recentFailures } = this.batches;
    const roundEnded = outcome !== 'continue';
    const carry: PickCarry = {
      counters,
      recentFailures,
      startedAt: this.carry.startedAt,
      roundsDone: this.carry.roundsDone + (roundEnded ? 1 : 0),
      roundsPicked: this.carry.roundsPicked + (outcome === 'picked' ? 1 : 0),
      polls: this.polls,
      stillProcessing: this.videosStillProcessing,
      ...(!roundEnded && this.session ? { session: this.session } : {}),
    };
    log.info(roundEnded ? 'round done; the next session opens in a new run' : 'still waiting for the person; continuing as new', { ...counters });
    return continueAsNew<(input: PickInput) => Promise<PickSummary>>({ ...this.input, carry });
  }

  private finish(outcome: RoundOutcome): PickSummary {
    const roundsPicked = this.carry.roundsPicked + (outcome === 'picked' ? 1 : 0);
    const overall: RoundOutcome = roundsPicked > 0 ? 'picked' : outcome;
    this.enter(overall === 'picked' ? 'done' : overall);
    const nothing = overall === 'expired' ? 'the session expired before anything was picked' : 'nothing was picked';
    upsertMemo(overall === 'picked' ? resultMemo(this.batches.counters, this.batches.recentFailures) : { result: nothing });
    log.info('pick finished', { outcome: overall, ...this.batches.counters });
    // The link stays in the memo and the session's activity result; the result needs none of it.
    const { pickerUri: _link, sessionId: _session, expireTime: _expiry, ...progress } = this.progress();
    return { ...progress, outcome: overall, ...(this.rounds ? { roundsPicked } : {}) };
  }

  /** Creates the session and shows its link to the Web UI (memo) and to clients (query). */
  private async createSession(): Promise<void> {
    this.enter('creating-session');
    this.session = await this.activities.session.createPickerSession.executeWithOptions({ summary: 'open a Picker session' }, [{ account: this.input.account }]);
    this.enter('waiting-for-pick');
    upsertMemo({ pickerUri: this.session.pickerUri, pickerSessionId: this.session.sessionId });
    log.info('picker session created; waiting for the person to pick', { sessionId: this.session.sessionId });
  }

  /** Polls until the person has picked, the session expired unpicked, or the history asks for a new run. */
  private async waitForPick(): Promise<WaitResult> {
    const session = this.requireSession();
    let pollMs = session.pollIntervalMs;
    let expireAt = session.expireTime ? Date.parse(session.expireTime) : undefined;
    const since = Date.now();
    for (;;) {
      const left = expireAt === undefined ? pollMs : expireAt - Date.now();
      if (left <= 0) return 'expired';
      const patient = this.rounds && Date.now() - since >= LONG_WAIT_MS ? Math.max(pollMs, LONG_WAIT_POLL_MS) : pollMs;
      await sleep(Math.max(MIN_POLL_MS, Math.min(patient, left)), { summary: 'waiting for the person to pick' });
      const poll = { account: this.input.account, sessionId: session.sessionId };
      const state = await this.activities.session.getPickerSession.executeWithOptions({ summary: `has the person picked? (poll ${this.polls + 1})` }, [poll]);
      this.polls += 1;
      this.show();
      if (state.mediaItemsSet) return 'picked';
      if (state.gone) return 'expired';
      pollMs = state.pollIntervalMs ?? pollMs;
      if (state.expireTime) expireAt = Date.parse(state.expireTime);
      if (this.rounds && workflowInfo().continueAsNewSuggested) return 'continue';
    }
  }

  /** Pages through the picked items, a download batch per page, at most `concurrency` at once; gives the count. */
  private async downloadAll(): Promise<number> {
    const { sessionId } = this.requireSession();
    this.enter('downloading');
    let pageToken: string | undefined;
    let listed = 0;
    let pages = 0;
    do {
      await this.batches.room(this.concurrency);
      const listedWith = pageToken;
      const pageNo = (pages += 1);
      const request = { account: this.input.account, sessionId, ...(listedWith ? { pageToken: listedWith } : {}) };
      const page = await this.activities.session.listPickerPage.executeWithOptions({ summary: `list picked items, page ${pageNo}` }, [request]);
      this.batches.listed(page.items.length);
      listed += page.items.length;
      if (page.items.length > 0) this.launch(page.items, listedWith, false, `picked page ${pageNo}`);
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    await this.batches.drain();
    return listed;
  }

  /** PROCESSING videos tried again while the session lives, then one final round for transient failures. */
  private async afterDownloads(): Promise<void> {
    await retryProcessing(this, this.options);
    await finalRound(this);
  }

  /** Deletes the session (NOT_FOUND counts as done); runs when cancelled or failed too. */
  private async deleteSession(): Promise<void> {
    const session = this.session;
    if (!session) return;
    await CancellationScope.nonCancellable(async () => {
      await this.batches.idle();
      const request = { account: this.input.account, sessionId: session.sessionId };
      await this.activities.session.deletePickerSession.executeWithOptions({ summary: 'close the Picker session' }, [request]);
    });
  }

  private requireSession(): CreatedPickerSession {
    if (!this.session) throw new Error('no picker session yet');
    return this.session;
  }

  startBatch(items: readonly MediaDescriptor[], last: boolean, what: string): void {
    this.launch(items, undefined, last, what);
  }

  /** Starts a batch of picked items in the background (`pageToken`: the page they were listed with). */
  private launch(items: readonly MediaDescriptor[], pageToken: string | undefined, last: boolean, what: string): void {
    const { input } = this;
    const source = { kind: 'picker' as const, sessionId: this.requireSession().sessionId, ...(pageToken ? { pageToken } : {}) };
    const request = { account: input.account, destination: input.destination, items, source, sidecars: this.options.sidecars, ...paceOf(this.options.concurrency, this.options.maxMediaPerSecond) };
    const summary = batchSummary(items.length, what);
    const call = () => this.activities.downloads.downloadBatch.executeWithOptions({ summary }, [this.rounds ? { ...request, retryLater: !last, finalRound: last } : request]);
    this.batches.start(items, this.rounds ? () => this.quota.run(call) : call);
  }
}

export async function pick(input: PickInput): Promise<PickSummary> {
  const run = new PickRun(input);
  setHandler(pickProgressQuery, () => run.progress());
  const { outcome, summary } = await run.round();
  return summary ?? run.continueAsNew(outcome);
}
