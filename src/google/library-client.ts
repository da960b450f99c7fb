// Typed requests to the Photos Library API (mediaItems list/search/get/batchGet), with the
// access token from an AccessTokenSource and errors classified at this edge.
import { count } from '../metrics.js';
import type { AccessTokenSource } from './credentials.js';
import type { z } from 'zod';
import { classifyApiResponse, classifyNetworkError, GooglePhotosError } from './errors.js';
import { batchGetSchema, listMediaItemsSchema, mediaItemSchema, parseResponse } from './schemas.js';
import type { BatchGetResponse, ListMediaItemsResponse, MediaItem, SearchMediaItemsRequest } from './types.js';

export const LIBRARY_MAX_PAGE_SIZE = 100;
export const LIBRARY_MAX_BATCH_GET = 50;

export interface ApiClientOptions {
  /** API root, e.g. https://photoslibrary.googleapis.com (a path prefix is kept). */
  readonly apiUrl: string;
  readonly tokens: AccessTokenSource;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * A JSON call with one token refresh on 401, as Google's client libraries do. The answer is
 * checked against `schema` here, at the edge: nothing past it sees an unchecked response.
 */
export async function callJson<T>(options: ApiClientOptions, operation: string, path: string, schema: z.ZodType<T>, init: { method?: string; body?: unknown } = {}): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const token = await options.tokens.token();
    count('googleRequests', 1, { kind: operation });
    const signals = [AbortSignal.timeout(options.timeoutMs ?? 60_000), ...(options.signal ? [options.signal] : [])];
    let response: Response;
    try {
      response = await fetch(`${options.apiUrl}${path}`, {
        method: init.method ?? 'GET',
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
        signal: AbortSignal.any(signals),
      });
    } catch (error) {
      throw classifyNetworkError(operation, error);
    }
    const text = await response.text().catch((error: unknown) => {
      throw classifyNetworkError(operation, error);
    });
    if (response.ok) return parseResponse(operation, schema, text, response.headers.get('content-type'));
    if (response.status === 401 && attempt === 0) {
      options.tokens.invalidate();
      continue;
    }
    throw classifyApiResponse(operation, response.status, text, response.headers.get('retry-after'));
  }
}

/** Options of a client whose answers carry baseUrls (Library, Picker). */
export interface MediaApiClientOptions extends ApiClientOptions {
  /** Origins besides Google's media hosts that this API's baseUrls may point to (default: the API root's). */
  readonly mediaOrigins?: readonly string[];
}

export type LibraryClientOptions = MediaApiClientOptions;

/** Where media downloads of a client's baseUrls may send the token, besides Google's media hosts. */
export function mediaOriginsOf(options: MediaApiClientOptions): readonly string[] {
  return options.mediaOrigins ?? [new URL(options.apiUrl).origin];
}

export class LibraryClient {
  /** Where media downloads of this client's baseUrls may send the token, besides Google's media hosts. */
  readonly mediaOrigins: readonly string[];

  constructor(private readonly options: LibraryClientOptions) {
    this.mediaOrigins = mediaOriginsOf(options);
  }

  list(pageSize: number, pageToken?: string): Promise<ListMediaItemsResponse> {
    const query = new URLSearchParams({ pageSize: String(Math.min(pageSize, LIBRARY_MAX_PAGE_SIZE)) });
    if (pageToken) query.set('pageToken', pageToken);
    return callJson(this.options, 'mediaItems.list', `/v1/mediaItems?${query.toString()}`, listMediaItemsSchema);
  }

  search(request: SearchMediaItemsRequest): Promise<ListMediaItemsResponse> {
    return callJson(this.options, 'mediaItems.search', '/v1/mediaItems:search', listMediaItemsSchema, { method: 'POST', body: request });
  }

  get(id: string): Promise<MediaItem> {
    return callJson(this.options, 'mediaItems.get', `/v1/mediaItems/${encodeURIComponent(id)}`, mediaItemSchema);
  }

  /** At most 50 ids; results come back in request order, each with an item or a status. */
  async batchGet(ids: readonly string[]): Promise<BatchGetResponse> {
    if (ids.length === 0 || ids.length > LIBRARY_MAX_BATCH_GET) throw new RangeError(`batchGet takes 1..${LIBRARY_MAX_BATCH_GET} ids, got ${ids.length}`);
    const query = new URLSearchParams();
    for (const id of ids) query.append('mediaItemIds', id);
    const answer = await callJson(this.options, 'mediaItems.batchGet', `/v1/mediaItems:batchGet?${query.toString()}`, batchGetSchema);
    checkBatchGet(ids, answer);
    return answer;
  }
}

/** One result per id asked for, in that order, and an item only ever for the id asked for. */
function checkBatchGet(ids: readonly string[], answer: BatchGetResponse): void {
  const results = answer.mediaItemResults ?? [];
  if (results.length !== ids.length) {
    throw new GooglePhotosError('invalid-response', `mediaItems.batchGet: asked for ${ids.length} items, Google answered with ${results.length} results`);
  }
  results.forEach((result, i) => {
    const got = result.mediaItem?.id;
    if (got !== undefined && got !== ids[i]) {
      throw new GooglePhotosError('invalid-response', `mediaItems.batchGet: result ${i} is item ${got}, not the ${ids[i]} asked for`);
    }
  });
}
