// The Photos Picker API (https://photospicker.googleapis.com/v1/...): sessions create/get/delete
// and mediaItems.list, plus the page a pickerUri opens, where a person (or a test, through the
// control API) picks items from the whole library.
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { renderWire } from './wire.js';
import { SCOPES } from '../google/scopes.js';
import { admitApiRequest, videoStatus, type EmulatorContext, type PickerSession } from './context.js';
import { HttpError, MESSAGES, parsePageSize, readJson, sendJson, sendText } from './http.js';
import type { EmulatedItem } from './library.js';
import { paginate, queryFingerprint } from './paging.js';

const PICKER_SCOPES = [SCOPES.pickerReadOnly];

function seconds(ms: number): string {
  return `${Math.max(0, Math.ceil(ms / 1000))}s`;
}

export function pickerUri(ctx: EmulatorContext, session: PickerSession): string {
  return `${ctx.origin()}/picker/ui/${session.id}`;
}

function renderSession(ctx: EmulatorContext, session: PickerSession): Record<string, unknown> {
  const set = session.picked !== undefined;
  return {
    id: session.id,
    pickerUri: pickerUri(ctx, session),
    ...(set ? {} : { pollingConfig: { pollInterval: `${ctx.behaviour.pickerPollIntervalMs / 1000}s`, timeoutIn: seconds(session.expireTime - ctx.now()) } }),
    expireTime: new Date(session.expireTime).toISOString(),
    pickingConfig: { maxItemCount: String(session.maxItemCount) },
    mediaItemsSet: set,
  };
}

function liveSession(ctx: EmulatorContext, id: string): PickerSession {
  const session = ctx.pickerSessions.get(id);
  if (!session || session.deleted || session.expireTime <= ctx.now()) {
    throw new HttpError('NOT_FOUND', MESSAGES.notFound);
  }
  return session;
}

/** POST /v1/sessions */
async function createSession(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  await admitApiRequest(ctx, req, { target: 'picker', operation: 'picker.sessions.create' }, PICKER_SCOPES, 'pickerApi');
  const body = await readJson(req);
  const config = (body.pickingConfig ?? {}) as { maxItemCount?: unknown };
  const requested = config.maxItemCount === undefined ? 0 : Number(config.maxItemCount);
  if (!Number.isInteger(requested) || requested < 0) throw new HttpError('INVALID_ARGUMENT', `Invalid pickingConfig.maxItemCount: ${String(config.maxItemCount)}`);
  const open = [...ctx.pickerSessions.values()].filter((s) => !s.deleted && s.expireTime > ctx.now()).length;
  if (open >= ctx.behaviour.pickerMaxOpenSessions) {
    throw new HttpError('RESOURCE_EXHAUSTED', 'Too many sessions have been created for this user. Delete sessions that are no longer needed.');
  }
  const cap = ctx.behaviour.pickerMaxItems;
  const session: PickerSession = {
    id: randomUUID(),
    createdAt: ctx.now(),
    expireTime: ctx.now() + ctx.behaviour.pickerSessionTtlMs,
    maxItemCount: requested === 0 || requested > cap ? cap : requested,
    picked: undefined,
    deleted: false,
  };
  ctx.pickerSessions.set(session.id, session);
  sendJson(res, 200, renderSession(ctx, session));
}

/** GET /v1/sessions/{id} */
async function getSession(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  await admitApiRequest(ctx, req, { target: 'picker', operation: 'picker.sessions.get' }, PICKER_SCOPES, 'pickerApi');
  sendJson(res, 200, renderSession(ctx, liveSession(ctx, id)));
}

/** DELETE /v1/sessions/{id} */
async function deleteSession(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  await admitApiRequest(ctx, req, { target: 'picker', operation: 'picker.sessions.delete' }, PICKER_SCOPES, 'pickerApi');
  liveSession(ctx, id).deleted = true;
  sendJson(res, 200, {});
}

/** The id a Picker session shows for a library item (behaviour `pickerItemIds`). */
export function pickerItemId(ctx: EmulatorContext, sessionId: string, itemId: string): string {
  const mode = ctx.behaviour.pickerItemIds;
  if (mode === 'library') return itemId;
  const seed = mode === 'stable' ? `picker:${itemId}` : `picker:${sessionId}:${itemId}`;
  return `AP${createHash('sha256').update(seed).digest('base64url').slice(0, 40)}`;
}

export function renderPickedItem(ctx: EmulatorContext, session: PickerSession, item: EmulatedItem): Record<string, unknown> {
  const status = videoStatus(ctx, item);
  const camera = item.camera ? { cameraMake: item.camera.make, cameraModel: item.camera.model } : {};
  return renderWire({
    id: pickerItemId(ctx, session.id, item.id),
    createTime: item.creationTime,
    type: item.kind === 'video' ? 'VIDEO' : 'PHOTO',
    mediaFile: {
      baseUrl: ctx.mediaUrls.mint({ itemId: item.id, source: 'picker', sessionId: session.id, expiresAt: ctx.now() + ctx.behaviour.baseUrlTtlMs }),
      mimeType: item.mimeType,
      filename: item.filename,
      mediaFileMetadata: {
        width: item.width,
        height: item.height,
        ...camera,
        ...(item.video
          ? { videoMetadata: { fps: item.video.fps, processingStatus: status } }
          : { photoMetadata: { focalLength: 4.38, apertureFNumber: 1.8, isoEquivalent: 100, exposureTime: '0.008s' } }),
      },
    },
  }, item, 'picker');
}

/** GET /v1/mediaItems?sessionId=… */
async function listPicked(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  await admitApiRequest(ctx, req, { target: 'picker', operation: 'picker.mediaItems.list' }, PICKER_SCOPES, 'pickerApi');
  const sessionId = url.searchParams.get('sessionId');
  if (!sessionId) throw new HttpError('INVALID_ARGUMENT', 'sessionId is required.');
  const session = liveSession(ctx, sessionId);
  if (session.picked === undefined) {
    throw new HttpError('FAILED_PRECONDITION', 'The user has not finished picking media items. Poll sessions.get until mediaItemsSet is true.');
  }
  // Documented: unset or 0 → 50; above 100 → coerced to 100; negative → INVALID_ARGUMENT.
  const pageSize = Math.min(100, parsePageSize(url.searchParams.get('pageSize'), 50));
  const items = session.picked.map((id) => ctx.itemsById.get(id)).filter((item): item is EmulatedItem => item !== undefined);
  const { page, nextPageToken } = paginate(items, pageSize, url.searchParams.get('pageToken') || undefined, queryFingerprint(['picked', session.id]), ctx.behaviour.shortPages);
  sendJson(res, 200, {
    ...(page.length > 0 ? { mediaItems: page.map((item) => renderPickedItem(ctx, session, item)) } : {}),
    ...(nextPageToken ? { nextPageToken } : {}),
  });
}

/**
 * Stands in for the person picking in Google Photos: sets the session's picked items (the given
 * ids, the first `count` items of the library, or all of them up to the session's cap).
 */
export function pick(ctx: EmulatorContext, sessionId: string, choice: { mediaItemIds?: readonly string[]; count?: number }): PickerSession {
  const session = liveSession(ctx, sessionId);
  if (session.picked !== undefined) throw new HttpError('FAILED_PRECONDITION', 'Items were already picked in this session; the pickerUri no longer works.');
  let ids: string[];
  if (choice.mediaItemIds) {
    const unknown = choice.mediaItemIds.filter((id) => !ctx.itemsById.has(id));
    if (unknown.length > 0) throw new HttpError('INVALID_ARGUMENT', `Unknown media item ids: ${unknown.slice(0, 3).join(', ')}`);
    ids = [...new Set(choice.mediaItemIds)];
  } else {
    ids = ctx.library.items.slice(0, choice.count ?? ctx.library.items.length).map((item) => item.id);
  }
  if (ids.length > session.maxItemCount) throw new HttpError('INVALID_ARGUMENT', `At most ${session.maxItemCount} items can be picked in this session.`);
  session.picked = ids;
  return session;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** GET /picker/ui/{id}: the page a pickerUri opens; POST picks everything (up to the cap). */
function pickerPage(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, id: string): void {
  if (req.method === 'POST') {
    const session = ctx.pickerSessions.get(id);
    pick(ctx, id, { count: Math.min(ctx.library.items.length, session?.maxItemCount ?? 0) });
    return sendText(res, 200, '<!doctype html><title>Done</title><p>Your selection was shared with the app. You can close this tab.</p>');
  }
  const session = liveSession(ctx, id);
  const count = Math.min(ctx.library.items.length, session.maxItemCount);
  sendText(
    res,
    200,
    `<!doctype html><title>Google Photos (emulator): pick items</title>` +
      `<p>Session ${escapeHtml(session.id)}: ${ctx.library.items.length} items in this library.</p>` +
      `<form method="post"><button type="submit">Pick ${count} items and press Done</button></form>`,
  );
}

export async function handlePicker(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<boolean> {
  const method = req.method ?? 'GET';
  const sessionMatch = /^\/v1\/sessions\/([^/]+)$/.exec(path);
  if (path === '/v1/sessions' && method === 'POST') await createSession(ctx, req, res);
  else if (sessionMatch?.[1] && method === 'GET') await getSession(ctx, req, res, decodeURIComponent(sessionMatch[1]));
  else if (sessionMatch?.[1] && method === 'DELETE') await deleteSession(ctx, req, res, decodeURIComponent(sessionMatch[1]));
  else if (path === '/v1/mediaItems' && method === 'GET') await listPicked(ctx, req, res, url);
  else if (path.startsWith('/ui/')) pickerPage(ctx, req, res, decodeURIComponent(path.slice(4)));
  else return false;
  return true;
}
