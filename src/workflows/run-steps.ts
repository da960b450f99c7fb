// Steps that backup and pick share once their items are listed: videos still PROCESSING are
// tried again until READY (or the run stops waiting), the items whose tries went to transient
// trouble get one final round, and Google's daily quota is slept through durably. Deterministic
// only: the host's batches run the activities.
import { condition, log, metricMeter, sleep } from '@temporalio/workflow';
import type { MediaDescriptor } from '../sources/descriptor.js';
import { msUntilUtc, quotaFailure } from './backup-failures.js';
import type { DownloadBatches } from './batches.js';
import { utcTime } from './details.js';

/** Items per batch in the final retry round (a listing page's worth). */
const RETRY_ROUND_BATCH = 100;

export interface StepHost {
  readonly batches: DownloadBatches;
  readonly concurrency: number;
  paused(): boolean;
  enter(phase: 'waiting-for-processing' | 'retrying-failed'): void;
  /** Starts a batch of these items in the background; `finalRound`: their last tries in this run; `what`: for its summary. */
  startBatch(items: readonly MediaDescriptor[], finalRound: boolean, what: string): void;
}

export interface ProcessingWait {
  /** How long to keep retrying videos Google is still processing. */
  readonly processingWaitSeconds: number;
  /** Pause between those retries. */
  readonly processingRetrySeconds: number;
}

/**
 * Videos Google was still processing: tried again until they are READY or we stop waiting.
 * Short waits first (most uploads finish processing within seconds), then every processingRetrySeconds.
 */
export async function retryProcessing(host: StepHost, wait: ProcessingWait): Promise<void> {
  const waitUntil = Date.now() + wait.processingWaitSeconds * 1000;
  let delay = Math.min(10_000, wait.processingRetrySeconds * 1000);
  while (host.batches.deferred.length > 0 && Date.now() < waitUntil) {
    host.enter('waiting-for-processing');
    const videos = host.batches.deferred.length;
    await sleep(Math.min(delay, Math.max(1000, waitUntil - Date.now())), { summary: `waiting for ${videos} video${videos === 1 ? '' : 's'} Google is still processing` });
    delay = Math.min(delay * 2, wait.processingRetrySeconds * 1000);
    await condition(() => !host.paused());
    const retry = host.batches.deferred;
    host.batches.deferred = [];
    host.startBatch(retry, false, 'videos Google was processing');
    await host.batches.drain();
  }
}

/**
 * One more round for the items whose tries were spent on transient trouble (as rclone's
 * --retries): a blip that hit one item four times does not leave it failed. What fails again
 * is recorded as failed, and the next run tries it again.
 */
export async function finalRound(host: StepHost): Promise<void> {
  const items = host.batches.retryLater;
  if (items.length === 0) return;
  host.enter('retrying-failed');
  host.batches.retryLater = [];
  log.info('trying again the items that failed on transient trouble', { items: items.length });
  for (let start = 0; start < items.length; start += RETRY_ROUND_BATCH) {
    await host.batches.room(host.concurrency, () => host.paused());
    host.startBatch(items.slice(start, start + RETRY_ROUND_BATCH), true, 'final round');
  }
  await host.batches.drain();
}

export interface QuotaReset {
  /** When Google's daily quota resets, as HH:MM[:SS] UTC. */
  readonly quotaResetUtc: string;
  /** Extra wait after the presumed reset before trying again. */
  readonly quotaResetMarginSeconds: number;
}

/** Runs calls that may hit the daily quota, sleeping durably until it resets and trying again. */
export class QuotaSleep {
  /** Epoch ms the current sleep ends, while sleeping. */
  until: number | undefined;

  /** `changed`: called when a sleep starts and ends (the run refreshes what the Web UI shows). */
  constructor(
    private readonly reset: QuotaReset,
    private readonly changed: () => void = () => undefined,
  ) {}

  async run<T>(call: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await call();
      } catch (error) {
        const quota = quotaFailure(error);
        if (!quota) throw error;
        const wait = quota.retryAfterMs ?? msUntilUtc(this.reset.quotaResetUtc, Date.now()) + this.reset.quotaResetMarginSeconds * 1000;
        this.until = Date.now() + wait;
        const until = new Date(this.until).toISOString();
        log.warn('daily quota exhausted; sleeping until it resets', { until });
        metricMeter.createCounter('gphotos_quota_sleeps', undefined, "Sleeps through Google's daily quota").add(1);
        this.changed();
        await sleep(wait, { summary: `daily quota: sleeping until ${utcTime(until, Date.now(), { dateAfter: true })}` });
        this.until = undefined;
        this.changed();
      }
    }
  }
}
