// Typed requests to the Photos Picker API (google-photos-api.md §4): sessions create/get/delete
// and mediaItems.list of a session, with the access token from an AccessTokenSource; answers are
// checked by schema and errors classified at this edge (callJson, classifyApiResponse).
import { z } from 'zod';
import { GooglePhotosError } from './errors.js';
import { callJson, mediaOriginsOf, type MediaApiClientOptions } from './library-client.js';
import { listPickedMediaItemsSchema, pickingSessionSchema } from './schemas.js';
import type { ListPickedMediaItemsResponse, PickingSession } from './types.js';

/** mediaItems.list gives at most 100 items a page (larger sizes are coerced to 100). */
export const PICKER_MAX_PAGE_SIZE = 100;

const emptySchema = z.looseObject({});

/**
 * A protobuf Duration as JSON gives it ("5s", "1.5s", "0.000001s") in milliseconds; undefined
 * when absent. Anything else is an invalid answer, never a NaN.
 */
export function parseDurationMs(text: string | undefined, what = 'duration'): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+)(?:\.(\d{1,9}))?s$/.exec(text);
  if (!match?.[1]) throw new GooglePhotosError('invalid-response', `${what}: ${JSON.stringify(text.slice(0, 40))} is not a duration like "5s"`);
  const fraction = (match[2] ?? '').padEnd(9, '0');
  return Number(match[1]) * 1000 + Number(fraction) / 1_000_000;
}

/** How often to poll a session and for how long (absent once the person has picked). */
export function pollingOf(session: PickingSession): { pollIntervalMs?: number; timeoutInMs?: number } {
  const pollIntervalMs = parseDurationMs(session.pollingConfig?.pollInterval, 'pollingConfig.pollInterval');
  const timeoutInMs = parseDurationMs(session.pollingConfig?.timeoutIn, 'pollingConfig.timeoutIn');
  return { ...(pollIntervalMs !== undefined ? { pollIntervalMs } : {}), ...(timeoutInMs !== undefined ? { timeoutInMs } : {}) };
}

export class PickerClient {
  /** Where media downloads of this client's baseUrls may send the token, besides Google's media hosts. */
  readonly mediaOrigins: readonly string[];

  constructor(private readonly options: MediaApiClientOptions) {
    this.mediaOrigins = mediaOriginsOf(options);
  }

  /** A new session; `maxItemCount` caps what the person may pick (Google's own cap is 2,000). */
  createSession(maxItemCount?: number): Promise<PickingSession> {
    const body = maxItemCount !== undefined ? { pickingConfig: { maxItemCount: String(maxItemCount) } } : {};
    return callJson(this.options, 'picker.sessions.create', '/v1/sessions', pickingSessionSchema, { method: 'POST', body });
  }

  getSession(sessionId: string): Promise<PickingSession> {
    return callJson(this.options, 'picker.sessions.get', `/v1/sessions/${encodeURIComponent(sessionId)}`, pickingSessionSchema);
  }

  async deleteSession(sessionId: string): Promise<void> {
    await callJson(this.options, 'picker.sessions.delete', `/v1/sessions/${encodeURIComponent(sessionId)}`, emptySchema, { method: 'DELETE' });
  }

  /** One page of the items picked in a session; FAILED_PRECONDITION until the person has picked. */
  async listItems(sessionId: string, pageSize = PICKER_MAX_PAGE_SIZE, pageToken?: string): Promise<ListPickedMediaItemsResponse> {
    const query = new URLSearchParams({ sessionId, pageSize: String(Math.min(pageSize, PICKER_MAX_PAGE_SIZE)) });
    if (pageToken) query.set('pageToken', pageToken);
    try {
      return await callJson(this.options, 'picker.mediaItems.list', `/v1/mediaItems?${query.toString()}`, listPickedMediaItemsSchema);
    } catch (error) {
      if (error instanceof GooglePhotosError && error.kind === 'failed-precondition') {
        throw new GooglePhotosError('failed-precondition', `${error.message} (the person has not finished picking in this session yet: poll sessions.get until mediaItemsSet)`, error.details);
      }
      throw error;
    }
  }
}
