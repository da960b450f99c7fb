// Media bytes behind baseUrls (lh3.googleusercontent.com at Google): `=d` gives a photo's
// original bytes, `=dv` a video's, `=w{W}-h{H}[-c]` a resized JPEG (other bytes than `=d`), and a
// video without `=dv` gives a JPEG thumbnail. URLs expire (403); Picker URLs need a bearer token.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SCOPES } from '../google/scopes.js';
import { contentSpec, contentStream, type ContentSpec } from './content.js';
import { applyRequestFaults, consumeQuota, videoStatus, type EmulatorContext } from './context.js';
import type { FaultRule } from './faults.js';
import { sendText } from './http.js';
import { contentFor, type EmulatedItem } from './library.js';
import type { MediaGrant, MediaParams } from './media-urls.js';

const FORBIDDEN_PAGE =
  '<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Error 403 (Forbidden)!!1</title><p><b>403.</b> <ins>That’s an error.</ins><p>Your client does not have permission to get URL from this server. <ins>That’s all we know.</ins>';
const NOT_FOUND_PAGE = '<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Error 404 (Not Found)!!1</title><p><b>404.</b> <ins>That’s an error.</ins>';
const DEFAULT_SIZE = 512;

/** Which bytes a request asks for, as Google decides from the URL parameters. */
export function variantFor(item: EmulatedItem, params: MediaParams): { spec: ContentSpec; mimeType: string; original: boolean } {
  const resized = params.width !== undefined || params.height !== undefined;
  if (item.kind === 'video' ? params.video : params.download && !resized) {
    return { spec: contentFor(item), mimeType: item.mimeType, original: true };
  }
  const w = params.width ?? DEFAULT_SIZE;
  const h = params.height ?? DEFAULT_SIZE;
  const scale = Math.min(1, w / item.width, h / item.height);
  const pixels = params.crop ? w * h : Math.round(item.width * scale) * Math.round(item.height * scale);
  const size = Math.max(600, Math.min(Math.round(pixels / 6), 400_000));
  const name = `${item.id}:${item.kind === 'video' ? 'thumb' : 'resized'}:w${w}-h${h}${params.crop ? '-c' : ''}`;
  return { spec: contentSpec(name, size, 'image/jpeg'), mimeType: 'image/jpeg', original: false };
}

function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/** Whether the request may load this URL: a bearer token with the right scope where one is required. */
function authorized(ctx: EmulatorContext, req: IncomingMessage, grant: MediaGrant): boolean {
  const needsBearer = grant.source === 'picker' ? ctx.behaviour.pickerMediaRequiresBearer : ctx.behaviour.libraryMediaRequiresBearer;
  if (!needsBearer) return true;
  const check = ctx.oauth.checkBearer(req);
  const scopes: readonly string[] = grant.source === 'picker' ? [SCOPES.pickerReadOnly] : [SCOPES.libraryReadAppCreated, SCOPES.libraryEditAppCreated];
  return check.ok && scopes.some((scope) => check.scopes.includes(scope));
}

function urlStillValid(ctx: EmulatorContext, grant: MediaGrant): boolean {
  if (grant.expiresAt <= ctx.now()) return false;
  if (grant.source !== 'picker' || !grant.sessionId) return true;
  const session = ctx.pickerSessions.get(grant.sessionId);
  if (!session || session.expireTime <= ctx.now()) return false;
  return !(session.deleted && ctx.behaviour.pickerDeletedSessionUrls === 'stop-working');
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match) return undefined;
  const [, a = '', b = ''] = match;
  if (a === '' && b === '') return undefined;
  const start = a === '' ? Math.max(0, size - Number(b)) : Number(a);
  const end = a === '' || b === '' ? size : Math.min(size, Number(b) + 1);
  return start < end ? { start, end } : undefined;
}

function sendBody(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, spec: ContentSpec, start: number, end: number, faults: FaultRule[]): void {
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const cut = faults.find((f) => f.kind === 'reset' || f.kind === 'truncate');
  const limit = cut ? Math.min(end, start + Math.max(0, cut.afterBytes ?? Math.floor((end - start) / 2))) : end;
  const stream = contentStream(spec, start, limit);
  stream.on('data', (chunk: Buffer) => ctx.counters.bytes(chunk.length));
  res.on('close', () => stream.destroy());
  stream.on('end', () => {
    if (!cut) return;
    if (cut.kind === 'reset') res.socket?.resetAndDestroy();
    else if (cut.declareLength !== false) res.socket?.end();
  });
  stream.pipe(res, { end: !cut || (cut.kind === 'truncate' && cut.declareLength === false) });
}

/** GET/HEAD /lr/{token}[=params] */
export async function handleMedia(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, segment: string): Promise<void> {
  const parsed = ctx.mediaUrls.parse(segment);
  ctx.counters.count('media', parsed?.grant.itemId);
  if (!parsed) return sendText(res, 404, NOT_FOUND_PAGE);
  const { grant, params } = parsed;
  const faults = await applyRequestFaults(ctx, { target: 'media', operation: 'media', itemId: grant.itemId });
  if (faults.some((f) => f.kind === 'expire-url') || !urlStillValid(ctx, grant)) return sendText(res, 403, FORBIDDEN_PAGE);
  if (!authorized(ctx, req, grant)) return sendText(res, 403, FORBIDDEN_PAGE);
  consumeQuota(ctx, grant.source === 'picker' ? 'pickerMedia' : 'libraryMedia', 'media');
  const item = ctx.itemsById.get(grant.itemId);
  if (!item) return sendText(res, 404, NOT_FOUND_PAGE);
  if (item.kind === 'video' && params.video && videoStatus(ctx, item) !== 'READY') return sendText(res, 404, NOT_FOUND_PAGE);

  const { spec, mimeType, original } = variantFor(item, params);
  const range = ctx.behaviour.mediaRange ? parseRange(req.headers.range, spec.size) : undefined;
  const start = range?.start ?? 0;
  const end = range?.end ?? spec.size;
  const truncatedWithoutLength = faults.some((f) => f.kind === 'truncate' && f.declareLength === false);
  const headers: Record<string, string> = {
    'content-type': mimeType,
    'cache-control': 'private, max-age=86400, no-transform',
    ...(ctx.behaviour.mediaRange ? { 'accept-ranges': 'bytes' } : {}),
    ...(ctx.behaviour.mediaContentLength && !truncatedWithoutLength ? { 'content-length': String(end - start) } : {}),
    ...(original && params.download ? { 'content-disposition': contentDisposition(item.filename) } : {}),
    ...(range ? { 'content-range': `bytes ${start}-${end - 1}/${spec.size}` } : {}),
  };
  res.writeHead(range ? 206 : 200, headers);
  sendBody(ctx, req, res, spec, start, end, faults);
}
