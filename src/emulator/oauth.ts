// The emulator's OAuth 2.0 server: Google's authorize endpoint (approves at once, as if the user
// clicked Allow) and token endpoint (authorization_code with PKCE, refresh_token), revocation,
// and the bearer-token check the APIs use.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, MESSAGES, readForm, sendJson, sendText } from './http.js';

export interface OAuthClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

interface AuthorizationCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly offline: boolean;
  readonly challenge?: string;
  readonly challengeMethod?: string;
  readonly expiresAt: number;
}

interface RefreshGrant {
  readonly clientId: string;
  readonly scopes: readonly string[];
  revoked: boolean;
}

interface AccessGrant {
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
  readonly refreshToken?: string;
}

/** Token-endpoint errors use the RFC 6749 body, not the JSON API envelope. */
class TokenError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
  ) {
    super(description);
  }
}

const CODE_TTL_MS = 10 * 60 * 1000;

function token(prefix: string, bytes = 32): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

function isLoopbackRedirect(uri: string): boolean {
  try {
    const url = new URL(uri);
    return url.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  } catch {
    return false;
  }
}

export type BearerCheck = { ok: true; scopes: readonly string[]; accessToken: string } | { ok: false; reason: 'missing' | 'invalid' | 'expired' };

export class OAuthServer {
  private readonly clients = new Map<string, OAuthClient>();
  private readonly codes = new Map<string, AuthorizationCode>();
  private readonly refreshTokens = new Map<string, RefreshGrant>();
  private readonly accessTokens = new Map<string, AccessGrant>();

  constructor(
    private readonly now: () => number,
    private readonly accessTokenTtlSeconds: () => number,
  ) {}

  registerClient(client: OAuthClient): void {
    this.clients.set(client.clientId, client);
  }

  /** Issues a refresh token directly, as a completed consent would (used for credential files). */
  issueRefreshToken(clientId: string, scopes: readonly string[]): string {
    const refresh = token('1//', 48);
    this.refreshTokens.set(refresh, { clientId, scopes: [...scopes], revoked: false });
    return refresh;
  }

  /** Issues an access token directly (tests of the APIs that do not go through the token endpoint). */
  issueAccessToken(clientId: string, scopes: readonly string[]): string {
    const access = token('ya29.', 48);
    this.accessTokens.set(access, { clientId, scopes: [...scopes], expiresAt: this.now() + this.accessTokenTtlSeconds() * 1000 });
    return access;
  }

  /** Revokes a refresh token (and the access tokens minted from it) or a single access token. */
  revoke(tokenValue: string): boolean {
    const refresh = this.refreshTokens.get(tokenValue);
    if (refresh) {
      refresh.revoked = true;
      for (const [access, grant] of this.accessTokens) if (grant.refreshToken === tokenValue) this.accessTokens.delete(access);
      return true;
    }
    return this.accessTokens.delete(tokenValue);
  }

  /** Revokes every refresh and access token, as a user removing the app's access would. */
  revokeAll(): number {
    let n = 0;
    for (const grant of this.refreshTokens.values()) {
      if (!grant.revoked) n += 1;
      grant.revoked = true;
    }
    this.accessTokens.clear();
    return n;
  }

  /** Makes every access token expire now, so clients must refresh. */
  expireAccessTokens(): void {
    for (const [value, grant] of this.accessTokens) this.accessTokens.set(value, { ...grant, expiresAt: this.now() - 1 });
  }

  /** Every token value issued so far (for tests that search histories for leaked secrets). */
  issuedTokens(): string[] {
    return [...this.refreshTokens.keys(), ...this.accessTokens.keys()];
  }

  checkBearer(req: IncomingMessage): BearerCheck {
    const header = req.headers.authorization;
    if (!header || !/^Bearer\s+/i.test(header)) return { ok: false, reason: 'missing' };
    const accessToken = header.replace(/^Bearer\s+/i, '').trim();
    const grant = this.accessTokens.get(accessToken);
    if (!grant) return { ok: false, reason: 'invalid' };
    if (grant.expiresAt <= this.now()) return { ok: false, reason: 'expired' };
    return { ok: true, scopes: grant.scopes, accessToken };
  }

  /** Throws the API's 401 or 403 unless the request carries a live token with one of the scopes. */
  requireScope(req: IncomingMessage, acceptable: readonly string[]): void {
    const check = this.checkBearer(req);
    if (!check.ok) {
      throw new HttpError('UNAUTHENTICATED', MESSAGES.unauthenticated, {
        'www-authenticate': `Bearer realm="https://accounts.google.com/", error="invalid_token"`,
      });
    }
    if (!acceptable.some((scope) => check.scopes.includes(scope))) {
      throw new HttpError('PERMISSION_DENIED', MESSAGES.insufficientScopes, {
        'www-authenticate': `Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="${acceptable.join(' ')}"`,
      });
    }
  }

  /** GET /oauth2/auth: validates the request and redirects back at once with a code. */
  authorize(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const q = url.searchParams;
    const clientId = q.get('client_id') ?? '';
    const redirectUri = q.get('redirect_uri') ?? '';
    const fail = (message: string) =>
      sendText(res, 400, `<!doctype html><title>Error 400: invalid_request</title><h1>Access blocked: Authorization Error</h1><p>Error 400: invalid_request</p><p>${message}</p>`);
    if (!this.clients.has(clientId)) return sendText(res, 401, '<!doctype html><title>Error 401: invalid_client</title><p>Error 401: invalid_client</p><p>The OAuth client was not found.</p>');
    if (redirectUri === 'urn:ietf:wg:oauth:2.0:oob') return fail('The out-of-band (OOB) flow has been blocked in order to keep users secure.');
    if (!isLoopbackRedirect(redirectUri)) return fail(`redirect_uri must be a loopback address for a desktop client: ${redirectUri}`);
    if (q.get('response_type') !== 'code') return fail('Missing required parameter: response_type=code');
    const scopes = (q.get('scope') ?? '').split(/\s+/).filter(Boolean);
    if (scopes.length === 0) return fail('Missing required parameter: scope');
    const challenge = q.get('code_challenge') ?? undefined;
    const challengeMethod = q.get('code_challenge_method') ?? (challenge ? 'plain' : undefined);
    if (challengeMethod && challengeMethod !== 'S256' && challengeMethod !== 'plain') return fail('Invalid code_challenge_method');
    const code = token('4/0A', 32);
    this.codes.set(code, {
      clientId,
      redirectUri,
      scopes,
      offline: q.get('access_type') === 'offline',
      ...(challenge ? { challenge } : {}),
      ...(challengeMethod ? { challengeMethod } : {}),
      expiresAt: this.now() + CODE_TTL_MS,
    });
    const target = new URL(redirectUri);
    target.searchParams.set('code', code);
    target.searchParams.set('scope', scopes.join(' '));
    const state = q.get('state');
    if (state !== null) target.searchParams.set('state', state);
    res.writeHead(302, { location: target.toString(), 'content-length': '0' });
    res.end();
  }

  /** POST /oauth2/token */
  async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const form = await readForm(req);
      const client = this.authenticateClient(req, form);
      const grantType = form.get('grant_type');
      if (grantType === 'authorization_code') return sendJson(res, 200, this.exchangeCode(client, form), { 'cache-control': 'no-store' });
      if (grantType === 'refresh_token') return sendJson(res, 200, this.refresh(client, form), { 'cache-control': 'no-store' });
      throw new TokenError(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      sendJson(res, error.status, { error: error.code, error_description: error.description });
    }
  }

  /** POST /oauth2/revoke?token=… (Google answers 200 with an empty body, or 400 invalid_token). */
  async revokeEndpoint(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const form = await readForm(req);
    const value = url.searchParams.get('token') ?? form.get('token') ?? '';
    if (!this.revoke(value)) return sendJson(res, 400, { error: 'invalid_token', error_description: 'Token expired or revoked' });
    sendJson(res, 200, {});
  }

  private authenticateClient(req: IncomingMessage, form: URLSearchParams): OAuthClient {
    let clientId = form.get('client_id') ?? '';
    let clientSecret = form.get('client_secret') ?? '';
    const basic = req.headers.authorization;
    if (basic && /^Basic /i.test(basic)) {
      const decoded = Buffer.from(basic.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      clientId = decodeURIComponent(decoded.slice(0, colon));
      clientSecret = decodeURIComponent(decoded.slice(colon + 1));
    }
    const client = this.clients.get(clientId);
    if (!client) throw new TokenError(401, 'invalid_client', 'The OAuth client was not found.');
    if (client.clientSecret !== clientSecret) throw new TokenError(401, 'invalid_client', 'Unauthorized');
    return client;
  }

  private exchangeCode(client: OAuthClient, form: URLSearchParams): Record<string, unknown> {
    const codeValue = form.get('code') ?? '';
    const code = this.codes.get(codeValue);
    this.codes.delete(codeValue); // single use
    if (!code || code.expiresAt <= this.now() || code.clientId !== client.clientId) throw new TokenError(400, 'invalid_grant', 'Malformed auth code.');
    if (form.get('redirect_uri') !== code.redirectUri) throw new TokenError(400, 'redirect_uri_mismatch', 'Bad Request');
    if (code.challenge) {
      const verifier = form.get('code_verifier') ?? '';
      if (!verifier) throw new TokenError(400, 'invalid_grant', 'Missing code verifier.');
      const computed = code.challengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
      if (computed !== code.challenge) throw new TokenError(400, 'invalid_grant', 'Invalid code verifier.');
    }
    const refresh = code.offline ? this.issueRefreshToken(client.clientId, code.scopes) : undefined;
    return this.accessResponse(client.clientId, code.scopes, refresh, true);
  }

  private refresh(client: OAuthClient, form: URLSearchParams): Record<string, unknown> {
    const value = form.get('refresh_token') ?? '';
    const grant = this.refreshTokens.get(value);
    if (!grant || grant.revoked || grant.clientId !== client.clientId) throw new TokenError(400, 'invalid_grant', 'Token has been expired or revoked.');
    return this.accessResponse(client.clientId, grant.scopes, value, false);
  }

  private accessResponse(clientId: string, scopes: readonly string[], refreshToken: string | undefined, includeRefresh: boolean): Record<string, unknown> {
    const access = token('ya29.', 48);
    const ttl = this.accessTokenTtlSeconds();
    this.accessTokens.set(access, { clientId, scopes, expiresAt: this.now() + ttl * 1000, ...(refreshToken ? { refreshToken } : {}) });
    return {
      access_token: access,
      expires_in: ttl,
      scope: scopes.join(' '),
      token_type: 'Bearer',
      ...(includeRefresh && refreshToken ? { refresh_token: refreshToken } : {}),
    };
  }
}
