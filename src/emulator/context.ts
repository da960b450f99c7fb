// What every emulator handler shares: the library, behaviour switches, OAuth, faults, counters,
// quotas and the clock; plus the checks every API request passes through.
import type { QuotaBucketName, Counters, Quotas } from './accounting.js';
import type { EmulatorBehaviour } from './behaviour.js';
import type { FaultInjector, FaultRule, RequestContext } from './faults.js';
import { HttpError, MESSAGES } from './http.js';
import type { EmulatedItem, EmulatedLibrary, VideoStatus } from './library.js';
import type { MediaUrls } from './media-urls.js';
import type { OAuthServer } from './oauth.js';
import type { IncomingMessage } from 'node:http';

export interface PickerSession {
  readonly id: string;
  readonly createdAt: number;
  readonly expireTime: number;
  readonly maxItemCount: number;
  picked: readonly string[] | undefined;
  deleted: boolean;
}

export interface EmulatorContext {
  /** Replaced (never changed in place) when items are added. */
  library: EmulatedLibrary;
  readonly itemsById: Map<string, EmulatedItem>;
  behaviour: EmulatorBehaviour;
  readonly oauth: OAuthServer;
  readonly faults: FaultInjector;
  readonly counters: Counters;
  quotas: Quotas;
  readonly mediaUrls: MediaUrls;
  readonly pickerSessions: Map<string, PickerSession>;
  /** Emulator clock: wall clock plus an offset tests can advance. */
  now(): number;
  /** Epoch ms the emulator started (PROCESSING videos count from here). */
  readonly startedAt: number;
  /** http://127.0.0.1:PORT of the running server. */
  origin(): string;
}

/** A video's processing state right now (PROCESSING ones may have become READY). */
export function videoStatus(ctx: EmulatorContext, item: EmulatedItem): VideoStatus | undefined {
  if (!item.video) return undefined;
  const { status, readyAfterMs } = item.video;
  if (status === 'PROCESSING' && readyAfterMs !== undefined && ctx.now() >= ctx.startedAt + readyAfterMs) return 'READY';
  return status;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Applies the faults that fire for a request before it is answered; returns those left for the body. */
export async function applyRequestFaults(ctx: EmulatorContext, request: RequestContext): Promise<FaultRule[]> {
  const fired = ctx.faults.take(request);
  if (fired.length > 0) ctx.counters.fault(request.operation);
  for (const fault of fired) {
    if (fault.kind === 'slow') await sleep(fault.delayMs ?? 2000);
  }
  for (const fault of fired) {
    if (fault.kind === 'rate-limit') {
      const service = request.target === 'picker' ? 'photospicker.googleapis.com' : 'photoslibrary.googleapis.com';
      throw new HttpError(
        'RESOURCE_EXHAUSTED',
        `Quota exceeded for quota metric '${service}/all_requests' and limit 'ApiCallsPerMinutePerUser' of service '${service}' for consumer 'project_number:000000000000'.`,
        fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {},
        { errors: [{ message: 'Quota exceeded', domain: 'global', reason: 'rateLimitExceeded' }] },
      );
    }
    if (fault.kind === 'server-error') {
      const status = fault.status ?? 503;
      throw new HttpError(status === 500 ? 'INTERNAL' : 'UNAVAILABLE', status === 500 ? MESSAGES.internal : MESSAGES.unavailable, {}, {}, status);
    }
  }
  return fired.filter((f) => f.kind === 'reset' || f.kind === 'truncate' || f.kind === 'expire-url' || f.kind === 'malformed');
}

const DAILY_LIMITS: Record<QuotaBucketName, { service: string; metric: string; limit: string }> = {
  libraryApi: { service: 'photoslibrary.googleapis.com', metric: 'all_requests', limit: 'ApiCallsPerProjectPerDay' },
  libraryMedia: { service: 'photoslibrary.googleapis.com', metric: 'media_requests', limit: 'MediaRequestsPerProjectPerDay' },
  pickerApi: { service: 'photospicker.googleapis.com', metric: 'all_requests', limit: 'ApiCallsPerProjectPerMinute' },
  pickerMedia: { service: 'photospicker.googleapis.com', metric: 'media_requests', limit: 'MediaRequestsPerProjectPerMinute' },
};

/** Counts a request against its quota bucket; throws Google's 429 when the bucket is empty. */
export function consumeQuota(ctx: EmulatorContext, bucket: QuotaBucketName, operation: string): void {
  if (ctx.quotas.consume(bucket, ctx.now())) return;
  ctx.counters.fault(operation);
  const { service, metric, limit } = DAILY_LIMITS[bucket];
  throw new HttpError(
    'RESOURCE_EXHAUSTED',
    `Quota exceeded for quota metric '${service}/${metric}' and limit '${limit}' of service '${service}' for consumer 'project_number:000000000000'.`,
    {},
    ctx.behaviour.errorDetails
      ? { details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'RATE_LIMIT_EXCEEDED', domain: 'googleapis.com', metadata: { service, quota_limit: limit } }] }
      : {},
  );
}

/**
 * The full check an API request goes through: counters, faults, bearer scope, quota. Returns a
 * `malformed` fault that fired, for the handler to spoil its answer with (see sendApiJson).
 */
export async function admitApiRequest(
  ctx: EmulatorContext,
  req: IncomingMessage,
  request: RequestContext,
  scopes: readonly string[],
  bucket: QuotaBucketName,
): Promise<FaultRule | undefined> {
  ctx.counters.count(request.operation);
  const left = await applyRequestFaults(ctx, request);
  ctx.oauth.requireScope(req, scopes);
  consumeQuota(ctx, bucket, request.operation);
  return left.find((f) => f.kind === 'malformed');
}
