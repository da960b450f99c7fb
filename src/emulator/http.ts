// Small HTTP helpers for the emulator: JSON bodies, Google's error envelope, request bodies.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** google.rpc.Code names and their HTTP statuses, as Google's JSON APIs map them. */
export const RPC_STATUS = {
  INVALID_ARGUMENT: { http: 400, code: 3 },
  FAILED_PRECONDITION: { http: 400, code: 9 },
  UNAUTHENTICATED: { http: 401, code: 16 },
  PERMISSION_DENIED: { http: 403, code: 7 },
  NOT_FOUND: { http: 404, code: 5 },
  RESOURCE_EXHAUSTED: { http: 429, code: 8 },
  INTERNAL: { http: 500, code: 13 },
  UNAVAILABLE: { http: 503, code: 14 },
} as const;
export type RpcStatus = keyof typeof RPC_STATUS;

export const MESSAGES = {
  unauthenticated:
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
  insufficientScopes: 'Request had insufficient authentication scopes.',
  notFound: 'Requested entity was not found.',
  unavailable: 'The service is currently unavailable.',
  internal: 'Internal error encountered.',
} as const;

export class HttpError extends Error {
  constructor(
    readonly status: RpcStatus,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly extra: Record<string, unknown> = {},
    /** HTTP status when it differs from the RPC status's usual one (e.g. 502 for UNAVAILABLE). */
    readonly httpStatus: number = RPC_STATUS[status].http,
  ) {
    super(message);
  }
}

/** The JSON error body Google's APIs send: {"error":{"code","message","status"}}. */
export function googleErrorBody(status: RpcStatus, message: string, extra: Record<string, unknown> = {}, httpStatus: number = RPC_STATUS[status].http): string {
  return JSON.stringify({ error: { code: httpStatus, message, status, ...extra } });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: HttpError): void {
  const text = googleErrorBody(error.status, error.message, error.extra, error.httpStatus);
  res.writeHead(error.httpStatus, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': String(Buffer.byteLength(text)),
    ...error.headers,
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, type = 'text/html; charset=UTF-8', headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

const MAX_BODY = 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > MAX_BODY) throw new HttpError('INVALID_ARGUMENT', 'Request payload size exceeds the limit.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new HttpError('INVALID_ARGUMENT', 'Invalid JSON payload received. Expected an object.');
    }
    return value as Record<string, unknown>;
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError('INVALID_ARGUMENT', `Invalid JSON payload received. ${(error as Error).message}`);
  }
}

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams(await readBody(req));
}

/** Parses a pageSize query/body value the way Google's APIs do: absent or 0 → default. */
export function parsePageSize(raw: unknown, fallback: number): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isInteger(n)) throw new HttpError('INVALID_ARGUMENT', `Invalid value at 'page_size' (TYPE_INT32), ${JSON.stringify(raw)}`);
  if (n < 0) throw new HttpError('INVALID_ARGUMENT', 'Page size must be non-negative.');
  return n === 0 ? fallback : n;
}

/** The page a proxy or captive portal answers with: 200, but HTML. */
const PROXY_PAGE = '<!DOCTYPE html><html><head><title>Sign in to the network</title></head><body><p>Please sign in.</p></body></html>';

/** Ids that are numbers, results out of order: what `malformed` faults do to an API answer. */
function spoil(body: Record<string, unknown>, variant: 'wrong-type' | 'wrong-id'): Record<string, unknown> {
  const listKey = ['mediaItems', 'mediaItemResults'].find((key) => Array.isArray(body[key]));
  if (!listKey) return { ...body, nextPageToken: 42 };
  const list = body[listKey] as Record<string, unknown>[];
  if (variant === 'wrong-id') return { ...body, [listKey]: [...list].reverse() };
  return { ...body, [listKey]: list.map((entry, i) => (listKey === 'mediaItems' ? { ...entry, id: i } : { ...entry, mediaItem: { id: i } })) };
}

/** Sends an API answer, spoiled the way a `malformed` fault asks when one fired. */
export function sendApiJson(res: ServerResponse, body: Record<string, unknown>, fault?: { readonly variant?: 'html' | 'wrong-type' | 'wrong-id' }): void {
  if (!fault) return sendJson(res, 200, body);
  const variant = fault.variant ?? 'html';
  if (variant === 'html') return sendText(res, 200, PROXY_PAGE);
  sendJson(res, 200, spoil(body, variant));
}
