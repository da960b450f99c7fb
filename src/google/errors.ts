// Errors from Google's APIs and media URLs, classified where they arise (DESIGN.md §5):
// what happened, whether a retry can help, and how long to wait before it.

export type GoogleErrorKind =
  /** 401 on an API call even after a token refresh. */
  | 'unauthenticated'
  /** The refresh token was revoked or expired (invalid_grant): the user must log in again. */
  | 'revoked'
  /** 403 insufficient scopes: the token cannot read this (e.g. the 2025 Library API change). */
  | 'insufficient-scope'
  /** 404: the item is gone or not visible to this app. */
  | 'not-found'
  /** 400 INVALID_ARGUMENT: our request is wrong. */
  | 'invalid-request'
  /**
   * 400 FAILED_PRECONDITION: the call is premature or impossible for this user (Picker: the
   * person has not finished picking; sessions.create: no active Google Photos account).
   */
  | 'failed-precondition'
  /** 429 from a per-minute limit: retry after Retry-After, or ≥30 s without one. */
  | 'rate-limited'
  /** 429 from a per-day quota: wait until the quota resets. */
  | 'daily-quota'
  /** 5xx: retry with exponential backoff (≥1 s). */
  | 'server'
  /** Connection refused, reset or timed out. */
  | 'network'
  /** 403 from a baseUrl: it expired (or was never valid); fetch a fresh one. */
  | 'url-expired'
  /** The body ended early or its length did not match. */
  | 'truncated'
  /** A 2xx answer that is not what the API documents (HTML, wrong types, ids not asked for). */
  | 'invalid-response'
  /** A baseUrl outside Google's media hosts and the configured API roots: the token is not sent there. */
  | 'untrusted-host';

const NON_RETRYABLE: ReadonlySet<GoogleErrorKind> = new Set(['unauthenticated', 'revoked', 'insufficient-scope', 'not-found', 'invalid-request', 'failed-precondition', 'invalid-response', 'untrusted-host']);

/** Google asks for at least 30 s after a 429. */
export const MIN_RATE_LIMIT_DELAY_MS = 30_000;

export class GooglePhotosError extends Error {
  override readonly name = 'GooglePhotosError';
  constructor(
    readonly kind: GoogleErrorKind,
    message: string,
    readonly details: { readonly status?: number; readonly retryAfterMs?: number; readonly cause?: unknown } = {},
  ) {
    super(message, details.cause !== undefined ? { cause: details.cause } : undefined);
  }

  get retryable(): boolean {
    return !NON_RETRYABLE.has(this.kind);
  }
}

export const LOGIN_HINT = 'Run `gphotos-backup auth login` to sign in again.';

interface GoogleErrorBody {
  error?: { code?: number; message?: string; status?: string } | string;
  error_description?: string;
}

function parseBody(text: string): GoogleErrorBody {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value) : {};
  } catch {
    return {};
  }
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Classifies a non-2xx answer from a Photos API (JSON error envelope). */
export function classifyApiResponse(operation: string, status: number, bodyText: string, retryAfter?: string | null): GooglePhotosError {
  const body = parseBody(bodyText);
  const error = typeof body.error === 'object' ? body.error : undefined;
  const message = error?.message ?? (bodyText.slice(0, 200) || `HTTP ${status}`);
  const what = `${operation}: ${message}`;
  if (status === 401) return new GooglePhotosError('unauthenticated', `${what} ${LOGIN_HINT}`, { status });
  if (status === 403) {
    if (/insufficient authentication scopes/i.test(message)) {
      return new GooglePhotosError('insufficient-scope', `${what} The stored sign-in lacks a scope this needs. ${LOGIN_HINT}`, { status });
    }
    return new GooglePhotosError('insufficient-scope', what, { status });
  }
  if (status === 404) return new GooglePhotosError('not-found', what, { status });
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(retryAfter);
    if (/PerDay/i.test(message)) return new GooglePhotosError('daily-quota', what, { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
    // Google asks for ≥30 s after a 429; a Retry-After from the server itself is honoured as given.
    return new GooglePhotosError('rate-limited', what, { status, retryAfterMs: retryAfterMs ?? MIN_RATE_LIMIT_DELAY_MS });
  }
  if (status >= 500) return new GooglePhotosError('server', what, { status });
  if (status === 400 && error?.status === 'FAILED_PRECONDITION') return new GooglePhotosError('failed-precondition', what, { status });
  if (status === 400) return new GooglePhotosError('invalid-request', what, { status });
  return new GooglePhotosError('server', what, { status });
}

/** Classifies an OAuth token-endpoint failure (RFC 6749 body). */
export function classifyTokenError(status: number | undefined, bodyText: string, cause?: unknown): GooglePhotosError {
  const body = parseBody(bodyText);
  const code = typeof body.error === 'string' ? body.error : undefined;
  if (code === 'invalid_grant') {
    return new GooglePhotosError('revoked', `The Google sign-in was revoked or has expired (${body.error_description ?? 'invalid_grant'}). ${LOGIN_HINT}`, { status, cause });
  }
  if (code === 'invalid_client' || code === 'unauthorized_client') {
    return new GooglePhotosError('unauthenticated', `The OAuth client was rejected (${code}): check the client id and secret of this account. ${LOGIN_HINT}`, { status, cause });
  }
  if (status === undefined) return new GooglePhotosError('network', `Could not reach the Google token endpoint: ${(cause as Error | undefined)?.message ?? 'unknown error'}`, { cause });
  if (status === 429) return new GooglePhotosError('rate-limited', 'The Google token endpoint is rate limiting.', { status, retryAfterMs: MIN_RATE_LIMIT_DELAY_MS, cause });
  if (status >= 500) return new GooglePhotosError('server', `The Google token endpoint failed with HTTP ${status}.`, { status, cause });
  return new GooglePhotosError('unauthenticated', `Token refresh failed with HTTP ${status}: ${bodyText.slice(0, 200)} ${LOGIN_HINT}`, { status, cause });
}

/** Classifies a fetch() rejection (no HTTP answer). */
export function classifyNetworkError(operation: string, error: unknown): GooglePhotosError {
  if (error instanceof GooglePhotosError) return error;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error).message;
  return new GooglePhotosError('network', `${operation}: ${detail}`, { cause: error });
}
