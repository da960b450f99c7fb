// pick: backs up the items a person picks in Google Photos through the Picker API. Creates a
// session and shows its pickerUri (query and memo), polls sessions.get with durable timers at the
// session's own pollInterval (one timer and one activity a poll) until the person has picked or
// the session expires, then pages through the picked items and stores them with the shared
// downloadBatch. The session is deleted at the end, also when the run is cancelled or fails.
// Every change to the commands these steps issue goes behind patched() (README: Versioning).
import { CancellationScope, log, proxyActivities, setHandler, sleep, upsertMemo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { CreatedPickerSession } from '../activities/picker-sessions.js';
import type { MediaDescriptor } from '../sources/descriptor.js';
import { resultMemo } from './backup-failures.js';
import { downloadActivityOptions, DownloadBatches } from './batches.js';
import { pickProgressQuery, type PickInput, type PickProgress, type PickStatus, type PickSummary } from './pick-messages.js';

/** Never poll faster than this, whatever a session suggests. */
const MIN_POLL_MS = 100;

function activitiesFor(input: PickInput) {
  return {
    session: proxyActivities<Activities>({
      startToCloseTimeout: '1 minute',
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
    }),
    downloads: proxyActivities<Activities>(downloadActivityOptions(input.options.heartbeatTimeoutSeconds)),
  };
}

export class PickRun {
  private readonly activities: ReturnType<typeof activitiesFor>;
  private session: CreatedPickerSession | undefined;
  private status: PickStatus = 'creating-session';
  private readonly batches = new DownloadBatches({ counters: { listed: 0, stored: 0, storedBytes: 0, skipped: 0, failed: 0 } });
  private polls = 0;

  constructor(private readonly input: PickInput) {
    this.activities = activitiesFor(input);
  }

  progress(): PickProgress {
    const s = this.session;
    const { counters, deferred, recentFailures } = this.batches;
    return {
      ...counters,
      status: this.status,
      ...(s ? { pickerUri: s.pickerUri, sessionId: s.sessionId, ...(s.expireTime ? { expireTime: s.expireTime } : {}) } : {}),
      polls: this.polls,
      stillProcessing: deferred.length,
      recentFailures,
    };
  }

  /** Creates the session and shows its link to the Web UI (memo) and to clients (query). */
  async createSession(): Promise<void> {
    this.session = await this.activities.session.createPickerSession({ account: this.input.account });
    this.status = 'waiting-for-pick';
    upsertMemo({ pickerUri: this.session.pickerUri, pickerSessionId: this.session.sessionId });
    log.info('picker session created; waiting for the person to pick', { sessionId: this.session.sessionId });
  }

  /** Polls until the person has picked (true) or the session expired unpicked (false). */
  async waitForPick(): Promise<boolean> {
    const session = this.requireSession();
    let pollMs = session.pollIntervalMs;
    let expireAt = session.expireTime ? Date.parse(session.expireTime) : undefined;
    for (;;) {
      const left = expireAt === undefined ? pollMs : expireAt - Date.now();
      if (left <= 0) return false;
      await sleep(Math.max(MIN_POLL_MS, Math.min(pollMs, left)));
      const state = await this.activities.session.getPickerSession({ account: this.input.account, sessionId: session.sessionId });
      this.polls += 1;
      if (state.mediaItemsSet) return true;
      if (state.gone) return false;
      pollMs = state.pollIntervalMs ?? pollMs;
      if (state.expireTime) expireAt = Date.parse(state.expireTime);
    }
  }

  /** Pages through the picked items, a download batch per page, at most `concurrency` at once. */
  async downloadAll(): Promise<void> {
    const { sessionId } = this.requireSession();
    this.status = 'downloading';
    let pageToken: string | undefined;
    do {
      await this.batches.room(this.input.options.concurrency);
      const listedWith = pageToken;
      const page = await this.activities.session.listPickerPage({ account: this.input.account, sessionId, ...(listedWith ? { pageToken: listedWith } : {}) });
      this.batches.listed(page.items.length);
      if (page.items.length > 0) this.startBatch(page.items, listedWith);
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    await this.batches.drain();
  }

  /** Deletes the session (NOT_FOUND counts as done); runs when cancelled or failed too. */
  async deleteSession(): Promise<void> {
    const session = this.session;
    if (!session) return;
    await CancellationScope.nonCancellable(async () => {
      await this.batches.idle();
      await this.activities.session.deletePickerSession({ account: this.input.account, sessionId: session.sessionId });
    });
  }

  finish(outcome: PickSummary['outcome']): PickSummary {
    this.status = outcome === 'expired' ? 'expired' : 'done';
    upsertMemo(outcome === 'expired' ? { result: 'the session expired before anything was picked' } : resultMemo(this.batches.counters, this.batches.recentFailures));
    log.info('pick finished', { outcome, ...this.batches.counters });
    return { ...this.progress(), outcome };
  }

  private requireSession(): CreatedPickerSession {
    if (!this.session) throw new Error('no picker session yet');
    return this.session;
  }

  /** Starts a batch of a page of picked items in the background. */
  private startBatch(items: readonly MediaDescriptor[], pageToken: string | undefined): void {
    const { input } = this;
    const source = { kind: 'picker' as const, sessionId: this.requireSession().sessionId, ...(pageToken ? { pageToken } : {}) };
    this.batches.start(items, () => this.activities.downloads.downloadBatch({ account: input.account, destination: input.destination, items, source, sidecars: input.options.sidecars }));
  }
}

export async function pick(input: PickInput): Promise<PickSummary> {
  const run = new PickRun(input);
  setHandler(pickProgressQuery, () => run.progress());
  await run.createSession();
  try {
    const picked = await run.waitForPick();
    if (!picked) return run.finish('expired');
    await run.downloadAll();
    return run.finish('picked');
  } finally {
    await run.deleteSession();
  }
}
