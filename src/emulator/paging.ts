// Page tokens and page shapes shared by the emulated list methods. Tokens are opaque to clients,
// bound to the query they came from, and `nextPageToken` is the only end-of-list signal: pages may
// be shorter than asked for, and some are empty while more items remain.
import { createHash } from 'node:crypto';
import { HttpError } from './http.js';

interface TokenState {
  /** Offset of the next item. */
  o: number;
  /** Fingerprint of the query the token belongs to. */
  q: string;
  /** This offset already produced an empty page: the next one must make progress. */
  e?: 1;
}

export function queryFingerprint(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 12);
}

function encode(state: TokenState): string {
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

function decode(token: string, fingerprint: string): TokenState {
  try {
    const state = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<TokenState>;
    if (typeof state.o === 'number' && state.o >= 0 && state.q === fingerprint) return state as TokenState;
  } catch {
    // fall through to the error below
  }
  throw new HttpError('INVALID_ARGUMENT', 'Invalid page token.');
}

function spread(offset: number, salt: string): number {
  return createHash('sha256').update(`${salt}:${offset}`).digest().readUInt32BE(0);
}

/** One page of `items` for the given token; with `shortPages`, deterministic short and empty pages. */
export function paginate<T>(
  items: readonly T[],
  pageSize: number,
  pageToken: string | undefined,
  fingerprint: string,
  shortPages: boolean,
): { page: T[]; nextPageToken?: string } {
  const state: TokenState = pageToken ? decode(pageToken, fingerprint) : { o: 0, q: fingerprint };
  const offset = Math.min(state.o, items.length);
  let size = pageSize;
  if (shortPages && offset < items.length) {
    const r = spread(offset, fingerprint);
    if (offset > 0 && state.e === undefined && r % 11 === 0) {
      return { page: [], nextPageToken: encode({ o: offset, q: fingerprint, e: 1 }) };
    }
    size = Math.max(1, pageSize - (r % Math.max(1, Math.ceil(pageSize / 3))));
  }
  const page = items.slice(offset, offset + size);
  const next = offset + page.length;
  return next < items.length ? { page, nextPageToken: encode({ o: next, q: fingerprint }) } : { page };
}
