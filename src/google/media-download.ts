// Downloads of media bytes from a baseUrl: `=d` for photos, `=dv` for videos (never `=w-h`,
// which gives resized bytes without EXIF). The bearer token is sent (Picker URLs need it; for
// Library URLs it is harmless), but only to Google's media hosts and the configured API origins.
// Errors are classified here.
import { count } from '../metrics.js';
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import type { AccessTokenSource } from './credentials.js';
import { classifyApiResponse, classifyNetworkError, GooglePhotosError } from './errors.js';
import type { MediaKind } from '../sources/descriptor.js';

export function downloadUrl(baseUrl: string, kind: MediaKind): string {
  return `${baseUrl}=${kind === 'video' ? 'dv' : 'd'}`;
}

export interface MediaResponse {
  readonly body: Readable;
  /** From Content-Length, when the server sent one. */
  readonly size?: number;
  /** The MIME type the media server announced (for items whose MIME type Google left out). */
  readonly contentType?: string;
}

/** Google serves media bytes from https hosts under this domain (lh3., video-downloads., ...). */
export const GOOGLE_MEDIA_DOMAIN = 'googleusercontent.com';

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * Where a download may go with the bearer token: https on Google's media hosts, or one of
 * `allowedOrigins` (the configured API roots). Anything else is refused before a request is made;
 * the message names the host only, never the capability URL.
 */
export function checkMediaUrl(url: string, allowedOrigins: readonly string[] = []): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new GooglePhotosError('untrusted-host', 'media download: the baseUrl is not a valid URL; the sign-in was not sent');
  }
  const { protocol, hostname } = parsed;
  if (protocol === 'https:' && (hostname === GOOGLE_MEDIA_DOMAIN || hostname.endsWith(`.${GOOGLE_MEDIA_DOMAIN}`))) return parsed;
  if (allowedOrigins.some((origin) => originOf(origin) === parsed.origin)) return parsed;
  throw new GooglePhotosError(
    'untrusted-host',
    `media download: refused to send the sign-in to ${protocol}//${parsed.host}: media URLs must be https on *.${GOOGLE_MEDIA_DOMAIN} or on a configured API root (GPHOTOS_LIBRARY_API_URL, GPHOTOS_PICKER_API_URL)`,
  );
}

export interface OpenMediaOptions {
  readonly tokens: AccessTokenSource;
  /**
   * Origins besides Google's media hosts that may receive the token (the configured API roots,
   * e.g. an emulator's). Absent: Google's media hosts only.
   */
  readonly allowedOrigins?: readonly string[];
  readonly signal?: AbortSignal;
  /** How long to wait for the response headers (default 120 s). */
  readonly firstByteTimeoutMs?: number;
  /** How long the body may go without a byte before the download is dropped (default 60 s). */
  readonly idleTimeoutMs?: number;
}

/**
 * Opens the download. A large video may take hours on a slow line, so there is no overall
 * deadline: the server must answer within `firstByteTimeoutMs`, and then never fall silent for
 * longer than `idleTimeoutMs`; a stalled download fails as a (retryable) network error.
 */
export async function openMedia(baseUrl: string, kind: MediaKind, options: OpenMediaOptions): Promise<MediaResponse> {
  const url = checkMediaUrl(downloadUrl(baseUrl, kind), options.allowedOrigins);
  const token = await options.tokens.token();
  const watchdog = new Watchdog(options.signal);
  const firstByteMs = options.firstByteTimeoutMs ?? 120_000;
  watchdog.arm(() => watchdog.fail('no answer', firstByteMs), firstByteMs);
  let response: Response;
  count('googleRequests', 1, { kind: 'media' });
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: watchdog.signal });
  } catch (error) {
    watchdog.release();
    throw classifyNetworkError('media download', watchdog.signal.aborted ? watchdog.signal.reason : error);
  }
  if (!response.ok || !response.body) {
    const text = await response.text().catch(() => '');
    watchdog.release();
    if (response.status === 403) throw new GooglePhotosError('url-expired', 'media download: the baseUrl expired or was refused (403)', { status: 403 });
    if (response.status === 404) throw new GooglePhotosError('not-found', 'media download: the media bytes are not available (404)', { status: 404 });
    throw classifyApiResponse('media download', response.status, text, response.headers.get('retry-after'));
  }
  const length = response.headers.get('content-length');
  const body = watchedBody(response.body as ReadableStream<Uint8Array>, watchdog, options.idleTimeoutMs ?? 60_000);
  const contentType = response.headers.get('content-type')?.split(';')[0]?.trim();
  return { body, ...(length !== null && /^\d+$/.test(length) ? { size: Number(length) } : {}), ...(contentType ? { contentType } : {}) };
}

/**
 * Aborts one download: on a stall (with a GooglePhotosError as the reason) or when the caller's
 * signal aborts. The caller's signal is forwarded by one listener, removed once the download is
 * over, rather than combined with AbortSignal.any, which costs far more per download.
 */
class Watchdog {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly forward = (): void => this.controller.abort(this.outer?.reason);

  constructor(private readonly outer: AbortSignal | undefined) {
    if (outer?.aborted) this.forward();
    else outer?.addEventListener('abort', this.forward, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Runs `check` after `ms` (replacing any earlier timer); the timer does not keep the process up. */
  arm(check: () => void, ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(check, ms).unref();
  }

  fail(what: string, ms: number): void {
    this.controller.abort(new GooglePhotosError('network', `media download: ${what} for ${ms / 1000} s`));
  }

  /** The download is over (ended, failed or given up): no timer, no listener left behind. */
  release(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.forward);
  }
}

/**
 * The response body as a Node stream that reads the web stream directly (one stream, not
 * Readable.fromWeb and a Transform), noting when bytes arrive. One timer watches the whole body,
 * not one per chunk. Bytes waiting in our buffer mean the reader (a throttled upload, say) is the
 * slow side, not the server: that silence does not count.
 */
function watchedBody(web: ReadableStream<Uint8Array>, watchdog: Watchdog, idleMs: number): Readable {
  const reader = web.getReader();
  let lastByteAt = Date.now();
  let ended = false;
  const body = new Readable({
    read() {
      reader.read().then(
        (next) => {
          if (next.done) {
            ended = true;
            body.push(null);
          } else {
            lastByteAt = Date.now();
            body.push(next.value);
          }
        },
        // A stall aborts the fetch; the body then fails with the watchdog's reason, not a bare AbortError.
        (error: unknown) => body.destroy((watchdog.signal.aborted ? watchdog.signal.reason : error) as Error),
      );
    },
    destroy(error, callback) {
      watchdog.release();
      // The reader gave up (a failed or cancelled put): let go of the connection too.
      if (!ended) reader.cancel(error ?? undefined).catch(() => undefined);
      callback(error);
    },
  });
  const watch = (): void => {
    const now = Date.now();
    if (body.readableLength > 0) lastByteAt = now;
    const quiet = now - lastByteAt;
    if (quiet >= idleMs) watchdog.fail('no bytes', idleMs);
    else watchdog.arm(watch, idleMs - quiet);
  };
  watchdog.arm(watch, idleMs);
  body.on('end', () => watchdog.release());
  // A connection reset before the sink starts reading must not crash the worker: the error stays
  // on the destroyed stream, and the sink's pipeline rejects with it.
  body.on('error', () => undefined);
  return body;
}
