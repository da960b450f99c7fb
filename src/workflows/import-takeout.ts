// importTakeout: imports Google Takeout archive parts into a destination. Scans every part into
// the destination's catalog (a few parts at once), plans the import across all scanned parts
// (media paired with their JSON sidecars, year and album copies made one item), stores each
// part's items with one heartbeating activity per part (a killed worker's retry resumes inside
// the archive), and writes the albums index. A part that cannot be read (truncated: still
// downloading; corrupt; not an archive) is reported and left out; the others are imported, and
// the run then fails with the list, so that importing again once the part is whole completes it.
// Every change to the commands these steps issue goes behind patched() (README: Versioning).
import { ActivityFailure, ApplicationFailure, log, patched, proxyActivities, setCurrentDetails, setHandler, upsertMemo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ImportPartResult, TakeoutPlanResult } from '../activities/takeout.js';
import type { ItemFailure } from '../activities/batch-progress.js';
import { resultMemo } from './backup-failures.js';
import { takeoutDetails } from './details.js';
import { FAILURE_TYPES } from './messages.js';
import { takeoutProgressQuery, type PartProblem, type TakeoutInput, type TakeoutProgress, type TakeoutStatus, type TakeoutSummary } from './takeout-messages.js';

const FAILURES_KEPT = 50;
/** Patch of the sweep at the end (imports started before it do not sweep). */
const SWEEP_PATCH = 'takeout-sweep';

function activitiesFor(input: TakeoutInput) {
  return proxyActivities<Activities>({
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: input.options.heartbeatTimeoutSeconds * 1000,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 25 },
  });
}

/** Runs `work` over `items`, at most `limit` at a time (deterministic: workflow promises only). */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}

/** A part's file name, for the Web UI (workflow code has no node:path). */
function nameOf(part: string): string {
  return part.slice(part.replace(/\/+$/, '').lastIndexOf('/') + 1);
}

/** The reason a part could not be read, when the activity failed on the part itself (not on the destination). */
function partProblem(error: unknown): string | undefined {
  if (!(error instanceof ActivityFailure) || !(error.cause instanceof ApplicationFailure)) return undefined;
  return error.cause.type === FAILURE_TYPES.takeoutArchive ? error.cause.message : undefined;
}

export class TakeoutRun {
  private readonly activities: ReturnType<typeof activitiesFor>;
  private status: TakeoutStatus = 'scanning';
  private counters = { listed: 0, stored: 0, storedBytes: 0, skipped: 0, failed: 0 };
  private readonly problems: PartProblem[] = [];
  private readonly failures: ItemFailure[] = [];
  private readonly readable: string[] = [];
  private scanned = 0;
  private imported = 0;
  private plan: TakeoutPlanResult | undefined;
  private albums = 0;
  private media = 0;
  private partCount: number;

  constructor(private readonly input: TakeoutInput) {
    this.activities = activitiesFor(input);
    this.partCount = input.parts.length;
  }

  progress(): TakeoutProgress {
    const plan = this.plan;
    return {
      status: this.status,
      ...this.counters,
      parts: this.partCount,
      partsScanned: this.scanned,
      partsImported: this.imported,
      partProblems: this.problems,
      unmatched: plan?.unmatched ?? 0,
      unmatchedSample: plan?.unmatchedSample ?? [],
      unusedSidecars: plan?.unusedSidecars ?? 0,
      unreadableSidecars: plan?.unreadableSidecars ?? 0,
      unreadableSample: plan?.unreadableSample ?? [],
      duplicates: plan?.duplicates ?? 0,
      leftOut: plan?.leftOut ?? 0,
      albums: this.albums || (plan?.albums ?? 0),
      recentFailures: this.failures,
    };
  }

  private show(status?: TakeoutStatus): void {
    if (status) this.status = status;
    setCurrentDetails(takeoutDetails(this.progress()));
  }

  /** Runs one activity on a part; a part that cannot be read becomes a problem, anything else fails the run. */
  private async onPart<T>(part: string, work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (error) {
      const reason = partProblem(error);
      if (reason === undefined) throw error;
      log.warn('a Takeout part cannot be read; it is left out', { part, reason });
      this.problems.push({ part, reason });
      return undefined;
    }
  }

  async scan(): Promise<void> {
    this.show('scanning');
    const { destination } = this.input;
    await eachLimited(this.input.parts, this.input.options.concurrency, async (part) => {
      const result = await this.onPart(part, () => this.activities.scanTakeoutPart.executeWithOptions({ summary: `scan ${nameOf(part)}` }, [{ destination, part }]));
      this.scanned++;
      if (result) {
        this.readable.push(part);
        this.media += result.media;
      }
      this.show();
    });
    // Keep the order the person gave (the lanes finish in any order).
    this.readable.sort((a, b) => this.input.parts.indexOf(a) - this.input.parts.indexOf(b));
  }

  async planImport(): Promise<void> {
    this.show('planning');
    if (this.readable.length > 0 && this.media === 0) {
      throw ApplicationFailure.nonRetryable(`no Google Photos files in ${this.readable.join(', ')}: is this a Takeout of Google Photos? (its files sit under Takeout/Google Photos/)`, FAILURE_TYPES.config);
    }
    if (this.readable.length === 0) return;
    const { destination, options } = this.input;
    const planInput = { destination, parts: this.readable, includeTrash: options.includeTrash, includeFailedVideos: options.includeFailedVideos };
    this.plan = await this.activities.planTakeoutImport.executeWithOptions({ summary: `pair media and JSON across ${this.readable.length} parts` }, [planInput]);
    this.counters.listed = this.plan.items;
  }

  async importParts(): Promise<void> {
    const plan = this.plan;
    if (!plan) return;
    // The parts named, and earlier imports' parts that hold items this plan completes.
    const parts = plan.parts ?? this.readable;
    this.partCount = Math.max(this.partCount, parts.length);
    this.show('importing');
    const { destination, options } = this.input;
    const common = { destination, parts, includeTrash: options.includeTrash, includeFailedVideos: options.includeFailedVideos, planId: plan.planId };
    await eachLimited(parts, options.concurrency, async (part) => {
      const result = await this.onPart(part, () => this.activities.importTakeoutPart.executeWithOptions({ summary: `import ${nameOf(part)}` }, [{ ...common, part }]));
      if (result) this.add(result);
      this.imported++;
      this.show();
    });
  }

  private add(result: ImportPartResult): void {
    const c = this.counters;
    this.counters = { ...c, stored: c.stored + result.stored, storedBytes: c.storedBytes + result.storedBytes, skipped: c.skipped + result.skipped, failed: c.failed + result.failed };
    this.failures.push(...result.recentFailures.slice(0, FAILURES_KEPT - this.failures.length));
  }

  async finish(): Promise<TakeoutSummary> {
    if (this.plan) {
      this.show('finishing');
      this.albums = await this.activities.finishTakeoutImport.executeWithOptions({ summary: 'write the albums index' }, [{ destination: this.input.destination }]);
      // Temp files and unfinished uploads of workers killed during the import (their parts were taken over).
      if (patched(SWEEP_PATCH)) await this.activities.sweepDestination.executeWithOptions({ summary: 'clear away temp files of stopped workers' }, [this.input.destination]);
    }
    this.show('done');
    upsertMemo(resultMemo(this.counters, this.failures));
    const summary = this.progress();
    if (this.problems.length > 0) {
      const list = this.problems.map((p) => p.reason).join('; ');
      throw ApplicationFailure.nonRetryable(`${this.problems.length} of ${this.input.parts.length} parts could not be read (the rest is imported; import again once they are whole): ${list}`, FAILURE_TYPES.takeoutArchive, summary);
    }
    return summary;
  }
}

export async function importTakeout(input: TakeoutInput): Promise<TakeoutSummary> {
  const run = new TakeoutRun(input);
  setHandler(takeoutProgressQuery, () => run.progress());
  await run.scan();
  await run.planImport();
  await run.importParts();
  return run.finish();
}
