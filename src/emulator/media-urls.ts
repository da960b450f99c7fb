// baseUrls the emulator hands out: opaque, signed, expiring capability URLs like
// https://lh3.googleusercontent.com/lr/AGj…, to which clients append `=d`, `=dv` or `=w…-h…`.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface MediaGrant {
  /** Media item id. */
  readonly itemId: string;
  /** Which API minted it: Library baseUrls and Picker baseUrls follow different rules. */
  readonly source: 'library' | 'picker';
  /** Picker session the URL belongs to. */
  readonly sessionId?: string;
  /** Epoch ms after which the URL answers 403. */
  readonly expiresAt: number;
}

export interface MediaParams {
  readonly download: boolean;
  readonly video: boolean;
  readonly width?: number;
  readonly height?: number;
  readonly crop: boolean;
}

export class MediaUrls {
  private readonly secret = randomBytes(32);

  constructor(private readonly mediaRoot: () => string) {}

  mint(grant: MediaGrant): string {
    const payload = Buffer.from(
      JSON.stringify({ i: grant.itemId, s: grant.source === 'picker' ? 'p' : 'l', x: grant.sessionId, e: grant.expiresAt }),
    ).toString('base64url');
    const signature = createHmac('sha256', this.secret).update(payload).digest('base64url').slice(0, 22);
    return `${this.mediaRoot()}/lr/${payload}~${signature}`;
  }

  /** Parses the last path segment `payload~sig[=params]`; undefined when it was not minted here. */
  parse(segment: string): { grant: MediaGrant; params: MediaParams } | undefined {
    const eq = segment.indexOf('=');
    const token = eq === -1 ? segment : segment.slice(0, eq);
    const paramText = eq === -1 ? '' : segment.slice(eq + 1);
    const [payload, signature] = token.split('~');
    if (!payload || !signature) return undefined;
    const expected = createHmac('sha256', this.secret).update(payload).digest('base64url').slice(0, 22);
    if (expected.length !== signature.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) return undefined;
    let decoded: { i?: unknown; s?: unknown; x?: unknown; e?: unknown };
    try {
      decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof decoded;
    } catch {
      return undefined;
    }
    if (typeof decoded.i !== 'string' || typeof decoded.e !== 'number') return undefined;
    return {
      grant: {
        itemId: decoded.i,
        source: decoded.s === 'p' ? 'picker' : 'library',
        ...(typeof decoded.x === 'string' ? { sessionId: decoded.x } : {}),
        expiresAt: decoded.e,
      },
      params: parseMediaParams(paramText),
    };
  }
}

/** `d`, `dv`, `w{W}`, `h{H}`, `c`, `no`, joined by '-' (unknown options are ignored, as Google does). */
export function parseMediaParams(text: string): MediaParams {
  let download = false;
  let video = false;
  let crop = false;
  let width: number | undefined;
  let height: number | undefined;
  for (const option of text.split('-').filter(Boolean)) {
    if (option === 'd') download = true;
    else if (option === 'dv') video = true;
    else if (option === 'c') crop = true;
    else if (/^w\d+$/.test(option)) width = Number(option.slice(1));
    else if (/^h\d+$/.test(option)) height = Number(option.slice(1));
  }
  return { download, video, crop, ...(width !== undefined ? { width } : {}), ...(height !== undefined ? { height } : {}) };
}
