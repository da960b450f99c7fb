// The Photos Library API (https://photoslibrary.googleapis.com/v1/...): mediaItems list, search,
// get, batchGet; albums list and get. Since 2025-03-31 only items this app created are visible.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SCOPES } from '../google/scopes.js';
import { admitApiRequest, videoStatus, type EmulatorContext } from './context.js';
import { HttpError, MESSAGES, parsePageSize, readJson, sendApiJson, sendJson } from './http.js';
import type { EmulatedAlbum, EmulatedItem } from './library.js';
import { paginate, queryFingerprint } from './paging.js';
import { renderWire } from './wire.js';

const READ_SCOPES = [SCOPES.libraryReadAppCreated, SCOPES.libraryEditAppCreated];
const MAX_PAGE = 100;
const MAX_BATCH = 50;

export function renderMediaItem(ctx: EmulatorContext, item: EmulatedItem): Record<string, unknown> {
  const status = videoStatus(ctx, item);
  const omitUrl = status === 'PROCESSING' && ctx.behaviour.processingVideoBaseUrl === 'omitted';
  const camera = item.camera ? { cameraMake: item.camera.make, cameraModel: item.camera.model } : {};
  return renderWire({
    id: item.id,
    ...(item.description !== undefined ? { description: item.description } : {}),
    productUrl: `https://photos.google.com/lr/photo/${item.id}`,
    ...(omitUrl ? {} : { baseUrl: ctx.mediaUrls.mint({ itemId: item.id, source: 'library', expiresAt: ctx.now() + ctx.behaviour.baseUrlTtlMs }) }),
    mimeType: item.mimeType,
    filename: item.filename,
    mediaMetadata: {
      creationTime: item.creationTime,
      width: String(item.width),
      height: String(item.height),
      ...(item.video
        ? { video: { ...camera, fps: item.video.fps, status } }
        : { photo: { ...camera, focalLength: 4.38, apertureFNumber: 1.8, isoEquivalent: 100, exposureTime: '0.008s' } }),
    },
  }, item, 'library');
}

function visibleItem(ctx: EmulatorContext, id: string): EmulatedItem | undefined {
  const item = ctx.itemsById.get(id);
  return item && item.appCreated ? item : undefined;
}

function appCreatedItems(ctx: EmulatorContext): EmulatedItem[] {
  return ctx.library.items.filter((item) => item.appCreated);
}

function pageSizeFor(ctx: EmulatorContext, raw: unknown, fallback: number, max: number): number {
  const size = parsePageSize(raw, fallback);
  if (size <= max) return size;
  if (ctx.behaviour.libraryPageSizeOverMax === 'reject' || max !== MAX_PAGE) {
    throw new HttpError('INVALID_ARGUMENT', `Page size must be less than or equal to ${max}.`);
  }
  return max;
}

/** GET /v1/mediaItems */
async function list(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const malformed = await admitApiRequest(ctx, req, { target: 'library', operation: 'library.list' }, READ_SCOPES, 'libraryApi');
  const pageSize = pageSizeFor(ctx, url.searchParams.get('pageSize'), 25, MAX_PAGE);
  const { page, nextPageToken } = paginate(appCreatedItems(ctx), pageSize, url.searchParams.get('pageToken') || undefined, queryFingerprint(['list']), ctx.behaviour.shortPages);
  sendApiJson(res, {
    ...(page.length > 0 ? { mediaItems: page.map((item) => renderMediaItem(ctx, item)) } : {}),
    ...(nextPageToken ? { nextPageToken } : {}),
  }, malformed);
}

interface DateParts {
  year: number;
  month: number;
  day: number;
}

function parseDate(value: unknown, where: string): DateParts {
  const v = (value ?? {}) as Record<string, unknown>;
  const part = (name: string, max: number): number => {
    const n = v[name] === undefined ? 0 : Number(v[name]);
    if (!Number.isInteger(n) || n < 0 || n > max) throw new HttpError('INVALID_ARGUMENT', `Invalid ${where}.${name}: ${String(v[name])}`);
    return n;
  };
  return { year: part('year', 9999), month: part('month', 12), day: part('day', 31) };
}

function matchesDate(date: Date, d: DateParts): boolean {
  return (
    (d.year === 0 || date.getUTCFullYear() === d.year) &&
    (d.month === 0 || date.getUTCMonth() + 1 === d.month) &&
    (d.day === 0 || date.getUTCDate() === d.day)
  );
}

function dayNumber(d: DateParts, end: boolean): number {
  const month = d.month === 0 ? (end ? 12 : 1) : d.month;
  const day = d.day === 0 ? (end ? new Date(Date.UTC(d.year, month, 0)).getUTCDate() : 1) : d.day;
  return Date.UTC(d.year, month - 1, day);
}

type Predicate = (item: EmulatedItem) => boolean;

/** Builds the filter predicate of a search request, validating it as the API does. */
function filterPredicate(filters: Record<string, unknown>, now: number): Predicate {
  const predicates: Predicate[] = [];
  const dateFilter = filters.dateFilter as { dates?: unknown[]; ranges?: { startDate?: unknown; endDate?: unknown }[] } | undefined;
  if (dateFilter) {
    const dates = (dateFilter.dates ?? []).map((d, i) => parseDate(d, `dateFilter.dates[${i}]`));
    const ranges = (dateFilter.ranges ?? []).map((r, i) => ({
      start: dayNumber(parseDate(r.startDate, `dateFilter.ranges[${i}].startDate`), false),
      end: dayNumber(parseDate(r.endDate, `dateFilter.ranges[${i}].endDate`), true),
    }));
    if (dates.length > 5 || ranges.length > 5) throw new HttpError('INVALID_ARGUMENT', 'A date filter accepts at most 5 dates and 5 ranges.');
    if (dates.length + ranges.length > 0) {
      predicates.push((item) => {
        const created = new Date(item.creationTime);
        const day = Date.UTC(created.getUTCFullYear(), created.getUTCMonth(), created.getUTCDate());
        return dates.some((d) => matchesDate(created, d)) || ranges.some((r) => day >= r.start && day <= r.end);
      });
    }
  }
  const mediaTypeFilter = filters.mediaTypeFilter as { mediaTypes?: unknown[] } | undefined;
  if (mediaTypeFilter?.mediaTypes) {
    const types = mediaTypeFilter.mediaTypes;
    if (types.length !== 1) throw new HttpError('INVALID_ARGUMENT', 'Only one media type is supported.');
    const [type] = types;
    if (type === 'PHOTO') predicates.push((item) => item.kind === 'photo');
    else if (type === 'VIDEO') predicates.push((item) => item.kind === 'video');
    else if (type !== 'ALL_MEDIA') throw new HttpError('INVALID_ARGUMENT', `Invalid value at 'filters.media_type_filter.media_types[0]': ${String(type)}`);
  }
  const contentFilter = filters.contentFilter as { includedContentCategories?: unknown[]; excludedContentCategories?: unknown[] } | undefined;
  if (contentFilter) {
    if ((contentFilter.includedContentCategories?.length ?? 0) > 10 || (contentFilter.excludedContentCategories?.length ?? 0) > 10) {
      throw new HttpError('INVALID_ARGUMENT', 'At most 10 included and 10 excluded content categories are allowed.');
    }
    // Emulated items carry no content categories: an inclusion matches nothing.
    if ((contentFilter.includedContentCategories?.length ?? 0) > 0) predicates.push(() => false);
  }
  const featureFilter = filters.featureFilter as { includedFeatures?: unknown[] } | undefined;
  if (featureFilter?.includedFeatures?.includes('FAVORITES')) predicates.push((item) => item.favorite);
  if (filters.includeArchivedMedia !== true) predicates.push((item) => !item.archived);
  // Items dated in the future do not appear in filtered searches.
  predicates.push((item) => new Date(item.creationTime).getTime() <= now);
  return (item) => predicates.every((p) => p(item));
}

function newestFirst(a: EmulatedItem, b: EmulatedItem): number {
  return b.creationTime.localeCompare(a.creationTime) || a.id.localeCompare(b.id);
}

/** POST /v1/mediaItems:search */
async function search(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const malformed = await admitApiRequest(ctx, req, { target: 'library', operation: 'library.search' }, READ_SCOPES, 'libraryApi');
  const body = await readJson(req);
  const pageSize = pageSizeFor(ctx, body.pageSize, 25, MAX_PAGE);
  const filters = body.filters as Record<string, unknown> | undefined;
  const albumId = typeof body.albumId === 'string' && body.albumId !== '' ? body.albumId : undefined;
  if (albumId && filters) throw new HttpError('INVALID_ARGUMENT', 'albumId cannot be set in conjunction with any filters.');
  const orderBy = typeof body.orderBy === 'string' ? body.orderBy.trim() : '';
  if (orderBy && !filters?.dateFilter) throw new HttpError('INVALID_ARGUMENT', 'orderBy only works when a dateFilter is used.');
  if (orderBy && orderBy !== 'MediaMetadata.creation_time' && orderBy !== 'MediaMetadata.creation_time desc') {
    throw new HttpError('INVALID_ARGUMENT', `Invalid orderBy: ${orderBy}`);
  }
  let items: EmulatedItem[];
  if (albumId) {
    const album = ctx.library.albums.find((a) => a.id === albumId && a.appCreated);
    if (!album) throw new HttpError('NOT_FOUND', MESSAGES.notFound);
    items = album.itemIds.map((id) => visibleItem(ctx, id)).filter((item): item is EmulatedItem => item !== undefined);
  } else {
    items = appCreatedItems(ctx).sort(newestFirst);
    if (filters) items = items.filter(filterPredicate(filters, ctx.now()));
    if (orderBy === 'MediaMetadata.creation_time') items.reverse();
  }
  const fingerprint = queryFingerprint(['search', albumId ?? null, filters ?? null, orderBy]);
  const { page, nextPageToken } = paginate(items, pageSize, typeof body.pageToken === 'string' && body.pageToken ? body.pageToken : undefined, fingerprint, ctx.behaviour.shortPages);
  sendApiJson(res, {
    ...(page.length > 0 ? { mediaItems: page.map((item) => renderMediaItem(ctx, item)) } : {}),
    ...(nextPageToken ? { nextPageToken } : {}),
  }, malformed);
}

/** GET /v1/mediaItems/{id} */
async function get(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  await admitApiRequest(ctx, req, { target: 'library', operation: 'library.get' }, READ_SCOPES, 'libraryApi');
  const item = visibleItem(ctx, id);
  if (!item) throw new HttpError('NOT_FOUND', MESSAGES.notFound);
  sendJson(res, 200, renderMediaItem(ctx, item));
}

/** GET /v1/mediaItems:batchGet?mediaItemIds=…&mediaItemIds=… */
async function batchGet(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const malformed = await admitApiRequest(ctx, req, { target: 'library', operation: 'library.batchGet' }, READ_SCOPES, 'libraryApi');
  const ids = url.searchParams.getAll('mediaItemIds');
  if (ids.length === 0) throw new HttpError('INVALID_ARGUMENT', 'Request must contain at least one media item ID.');
  if (ids.length > MAX_BATCH) throw new HttpError('INVALID_ARGUMENT', `Request must contain at most ${MAX_BATCH} media item IDs.`);
  if (new Set(ids).size !== ids.length) throw new HttpError('INVALID_ARGUMENT', 'Request must not contain duplicate media item IDs.');
  sendApiJson(res, {
    mediaItemResults: ids.map((id) => {
      const item = visibleItem(ctx, id);
      return item ? { mediaItem: renderMediaItem(ctx, item) } : { status: { code: 5, message: MESSAGES.notFound } };
    }),
  }, malformed);
}

function renderAlbum(ctx: EmulatorContext, album: EmulatedAlbum): Record<string, unknown> {
  const visible = album.itemIds.filter((id) => visibleItem(ctx, id));
  const cover = visible[0];
  return {
    id: album.id,
    title: album.title,
    productUrl: `https://photos.google.com/lr/album/${album.id}`,
    isWriteable: true,
    mediaItemsCount: String(visible.length),
    ...(cover
      ? { coverPhotoBaseUrl: ctx.mediaUrls.mint({ itemId: cover, source: 'library', expiresAt: ctx.now() + ctx.behaviour.baseUrlTtlMs }), coverPhotoMediaItemId: cover }
      : {}),
  };
}

/** GET /v1/albums */
async function listAlbums(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  await admitApiRequest(ctx, req, { target: 'library', operation: 'albums.list' }, READ_SCOPES, 'libraryApi');
  const pageSize = pageSizeFor(ctx, url.searchParams.get('pageSize'), 20, 50);
  const albums = ctx.library.albums.filter((a) => a.appCreated);
  const { page, nextPageToken } = paginate(albums, pageSize, url.searchParams.get('pageToken') || undefined, queryFingerprint(['albums']), false);
  sendJson(res, 200, {
    ...(page.length > 0 ? { albums: page.map((album) => renderAlbum(ctx, album)) } : {}),
    ...(nextPageToken ? { nextPageToken } : {}),
  });
}

/** GET /v1/albums/{id} */
async function getAlbum(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  await admitApiRequest(ctx, req, { target: 'library', operation: 'albums.get' }, READ_SCOPES, 'libraryApi');
  const album = ctx.library.albums.find((a) => a.id === id && a.appCreated);
  if (!album) throw new HttpError('NOT_FOUND', MESSAGES.notFound);
  sendJson(res, 200, renderAlbum(ctx, album));
}

/** Routes a request under the Library API root; false when no route matched. */
export async function handleLibrary(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<boolean> {
  const method = req.method ?? 'GET';
  if (path === '/v1/mediaItems' && method === 'GET') await list(ctx, req, res, url);
  else if (path === '/v1/mediaItems:search' && method === 'POST') await search(ctx, req, res);
  else if (path === '/v1/mediaItems:batchGet' && method === 'GET') await batchGet(ctx, req, res, url);
  else if (path.startsWith('/v1/mediaItems/') && method === 'GET') await get(ctx, req, res, decodeURIComponent(path.slice('/v1/mediaItems/'.length)));
  else if (path === '/v1/albums' && method === 'GET') await listAlbums(ctx, req, res, url);
  else if (path.startsWith('/v1/albums/') && method === 'GET') await getAlbum(ctx, req, res, decodeURIComponent(path.slice('/v1/albums/'.length)));
  else return false;
  return true;
}
