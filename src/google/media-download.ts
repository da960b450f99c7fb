// Downloads of media bytes from a baseUrl: `=d` for photos, `=dv` for videos (never `=w-h`,
// which gives resized bytes without EXIF). The bearer token is sent (Picker URLs need it; for
// Library URLs it is harmless). Errors are classified here.
import { Readable } from 'node:stream';
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
}

export async function openMedia(
  baseUrl: string,
  kind: MediaKind,
  options: { readonly tokens: AccessTokenSource; readonly signal?: AbortSignal; readonly firstByteTimeoutMs?: number },
): Promise<MediaResponse> {
  const token = await options.tokens.token();
  const timeout = AbortSignal.timeout(options.firstByteTimeoutMs ?? 120_000);
  let response: Response;
  try {
    response = await fetch(downloadUrl(baseUrl, kind), {
      headers: { authorization: `Bearer ${token}` },
      signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
    });
  } catch (error) {
    throw classifyNetworkError('media download', error);
  }
  if (!response.ok || !response.body) {
    const text = await response.text().catch(() => '');
    if (response.status === 403) throw new GooglePhotosError('url-expired', 'media download: the baseUrl expired or was refused (403)', { status: 403 });
    if (response.status === 404) throw new GooglePhotosError('not-found', 'media download: the media bytes are not available (404)', { status: 404 });
    throw classifyApiResponse('media download', response.status, text, response.headers.get('retry-after'));
  }
  const length = response.headers.get('content-length');
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
  // A connection reset before the sink starts reading must not crash the worker: the error stays
  // on the destroyed stream, and the sink's pipeline rejects with it.
  body.on('error', () => undefined);
  return { body, ...(length !== null && /^\d+$/.test(length) ? { size: Number(length) } : {}) };
}
