// Request counters and quota buckets of the emulator.
import type { QuotaLimits } from './behaviour.js';

export type QuotaBucketName = 'libraryApi' | 'libraryMedia' | 'pickerApi' | 'pickerMedia';

export interface CounterSnapshot {
  /** Requests per operation, e.g. 'library.list', 'library.batchGet', 'media', 'oauth.token'. */
  readonly requests: Record<string, number>;
  /** Media requests per media item id (any variant). */
  readonly mediaByItem: Record<string, number>;
  /** Body bytes sent by media responses. */
  readonly mediaBytes: number;
  /** Requests answered with an injected fault or a quota error, per operation. */
  readonly faulted: Record<string, number>;
  /** The most requests of each operation seen within any one second. */
  readonly peakPerSecond: Record<string, number>;
}

export class Counters {
  private requests = new Map<string, number>();
  private mediaByItem = new Map<string, number>();
  private faulted = new Map<string, number>();
  private mediaBytes = 0;
  /** Times of each operation's requests in the last second, and the most there ever were. */
  private lastSecond = new Map<string, number[]>();
  private peaks = new Map<string, number>();

  count(operation: string, itemId?: string): void {
    this.requests.set(operation, (this.requests.get(operation) ?? 0) + 1);
    const now = performance.now();
    const recent = (this.lastSecond.get(operation) ?? []).filter((at) => now - at < 1000);
    recent.push(now);
    this.lastSecond.set(operation, recent);
    this.peaks.set(operation, Math.max(this.peaks.get(operation) ?? 0, recent.length));
    if (itemId !== undefined) this.mediaByItem.set(itemId, (this.mediaByItem.get(itemId) ?? 0) + 1);
  }

  fault(operation: string): void {
    this.faulted.set(operation, (this.faulted.get(operation) ?? 0) + 1);
  }

  bytes(n: number): void {
    this.mediaBytes += n;
  }

  reset(): void {
    this.requests.clear();
    this.mediaByItem.clear();
    this.faulted.clear();
    this.mediaBytes = 0;
    this.lastSecond.clear();
    this.peaks.clear();
  }

  snapshot(): CounterSnapshot {
    return {
      requests: Object.fromEntries(this.requests),
      mediaByItem: Object.fromEntries(this.mediaByItem),
      mediaBytes: this.mediaBytes,
      faulted: Object.fromEntries(this.faulted),
      peakPerSecond: Object.fromEntries(this.peaks),
    };
  }
}

interface Bucket {
  readonly limit: number;
  readonly periodMs: number;
  readonly offsetMs: number;
  window: number;
  used: number;
}

/** Fixed-window quotas, as Google's per-day and per-minute project quotas behave. */
export class Quotas {
  private readonly buckets: Record<QuotaBucketName, Bucket>;

  constructor(limits: QuotaLimits) {
    const make = (limit: number, periodMs: number, offsetMs: number): Bucket => ({ limit, periodMs, offsetMs, window: -1, used: 0 });
    this.buckets = {
      libraryApi: make(limits.libraryApi, limits.periodMs, limits.resetOffsetMs),
      libraryMedia: make(limits.libraryMedia, limits.periodMs, limits.resetOffsetMs),
      pickerApi: make(limits.pickerApiPerMinute, 60_000, 0),
      pickerMedia: make(limits.pickerMediaPerMinute, 60_000, 0),
    };
  }

  private current(bucket: Bucket, now: number): Bucket {
    const window = Math.floor((now - bucket.offsetMs) / bucket.periodMs);
    if (window !== bucket.window) {
      bucket.window = window;
      bucket.used = 0;
    }
    return bucket;
  }

  /** Counts one request; false when the bucket is already exhausted for this window. */
  consume(name: QuotaBucketName, now: number): boolean {
    const bucket = this.current(this.buckets[name], now);
    if (bucket.used >= bucket.limit) return false;
    bucket.used += 1;
    return true;
  }

  /** Uses up the rest of the current window, as a busy day would. */
  exhaust(name: QuotaBucketName, now: number): void {
    const bucket = this.current(this.buckets[name], now);
    bucket.used = bucket.limit;
  }

  /** Epoch ms at which the bucket's current window ends. */
  resetsAt(name: QuotaBucketName, now: number): number {
    const bucket = this.current(this.buckets[name], now);
    return (bucket.window + 1) * bucket.periodMs + bucket.offsetMs;
  }

  usage(now: number): Record<QuotaBucketName, { used: number; limit: number; resetsAt: string }> {
    const out = {} as Record<QuotaBucketName, { used: number; limit: number; resetsAt: string }>;
    for (const name of Object.keys(this.buckets) as QuotaBucketName[]) {
      const bucket = this.current(this.buckets[name], now);
      out[name] = { used: bucket.used, limit: bucket.limit, resetsAt: new Date(this.resetsAt(name, now)).toISOString() };
    }
    return out;
  }
}
