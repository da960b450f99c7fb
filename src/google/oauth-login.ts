// Google's installed-app sign-in (google-photos-api.md §6) with google-auth-library's OAuth2Client:
// loopback redirect on 127.0.0.1, PKCE S256, offline access with forced consent (so Google sends
// a refresh token), and revocation of a stored grant. No console output here: the CLI prints.
import { randomBytes } from 'node:crypto';
import { CodeChallengeMethod, OAuth2Client, type Credentials } from 'google-auth-library';
import type { GoogleEndpoints } from '../config.js';
import type { DesktopClient } from './client-secret.js';
import type { AuthorizedUser } from './credentials.js';
import { LoopbackReceiver, OAuthError } from './loopback-redirect.js';
import { BACKUP_SCOPES } from './scopes.js';

export { OAuthError } from './loopback-redirect.js';

export const LOGIN_TIMEOUT_MS = 5 * 60 * 1000;

export const PERMISSIONS_PAGE = 'https://myaccount.google.com/permissions';

export interface LoginOptions {
  readonly client: DesktopClient;
  readonly endpoints: Pick<GoogleEndpoints, 'authUrl' | 'tokenUrl'>;
  /** Shows the sign-in URL to the user (opens a browser); called once the listener is up. */
  readonly openUrl: (url: string) => Promise<void> | void;
  readonly scopes?: readonly string[];
  /** Loopback port; 0 or absent: an ephemeral one. */
  readonly port?: number;
  readonly timeoutMs?: number;
}

export interface LoginResult {
  readonly user: AuthorizedUser;
  /** Scopes the token answer says were granted (undefined when it does not say). */
  readonly grantedScopes: readonly string[] | undefined;
  /** Requested scopes missing from the grant (Google lets users untick scopes). */
  readonly missingScopes: readonly string[];
}

interface HttpFailureLike {
  code?: string;
  status?: number;
  response?: { status?: number; data?: unknown };
  cause?: { code?: string };
}

/** A short, secret-free account of a failed call to an OAuth endpoint. */
export function describeHttpFailure(error: unknown, secrets: readonly string[] = []): string {
  const e = (typeof error === 'object' && error !== null ? error : {}) as HttpFailureLike;
  const status = e.response?.status ?? e.status;
  const data = e.response?.data;
  let text: string;
  if (status !== undefined) {
    const body = (typeof data === 'object' && data !== null ? data : {}) as { error?: unknown; error_description?: unknown };
    const code = typeof body.error === 'string' ? body.error : undefined;
    const description = typeof body.error_description === 'string' ? body.error_description : undefined;
    text = code ? `${code}${description ? `: ${description}` : ''} (HTTP ${status})` : `HTTP ${status}`;
  } else {
    text = e.cause?.code ?? e.code ?? (error instanceof Error ? error.message : String(error));
  }
  for (const secret of secrets) if (secret) text = text.split(secret).join('[redacted]');
  return text;
}

async function exchange(oauth: OAuth2Client, code: string, codeVerifier: string, tokenUrl: string): Promise<Credentials> {
  try {
    const { tokens } = await oauth.getToken({ code, codeVerifier });
    return tokens;
  } catch (error) {
    throw new OAuthError(`exchanging the authorization code at ${tokenUrl} failed: ${describeHttpFailure(error, [code, codeVerifier])}`, { cause: error });
  }
}

function grantResult(client: DesktopClient, tokens: Credentials, requested: readonly string[]): LoginResult {
  if (!tokens.refresh_token) {
    throw new OAuthError(
      'Google answered without a refresh token, so this sign-in could not be kept. This happens when the app already ' +
        `holds access for this Google account: remove "gphotos-backup" (or your OAuth client's app name) at ${PERMISSIONS_PAGE} and run the login again.`,
    );
  }
  const grantedScopes = typeof tokens.scope === 'string' ? tokens.scope.split(/\s+/).filter(Boolean) : undefined;
  return {
    user: { type: 'authorized_user', client_id: client.clientId, client_secret: client.clientSecret, refresh_token: tokens.refresh_token },
    grantedScopes,
    missingScopes: grantedScopes ? requested.filter((scope) => !grantedScopes.includes(scope)) : [],
  };
}

/** Runs the whole flow once: listen, show the URL, receive the redirect, exchange the code. */
export async function login(options: LoginOptions): Promise<LoginResult> {
  const scopes = options.scopes ?? BACKUP_SCOPES;
  const receiver = await LoopbackReceiver.start(options.port ?? 0);
  try {
    const oauth = new OAuth2Client({
      clientId: options.client.clientId,
      clientSecret: options.client.clientSecret,
      redirectUri: receiver.redirectUri,
      endpoints: { oauth2TokenUrl: options.endpoints.tokenUrl, oauth2AuthBaseUrl: options.endpoints.authUrl },
    });
    const { codeVerifier, codeChallenge } = await oauth.generateCodeVerifierAsync();
    if (!codeChallenge) throw new Error('google-auth-library returned no PKCE code challenge');
    const state = randomBytes(24).toString('base64url');
    const url = oauth.generateAuthUrl({
      access_type: 'offline',
      prompt: 'consent',
      scope: [...scopes],
      state,
      code_challenge: codeChallenge,
      code_challenge_method: CodeChallengeMethod.S256,
    });
    const redirected = receiver.waitForRedirect(state, options.timeoutMs ?? LOGIN_TIMEOUT_MS);
    // The opener runs alongside the wait (a test's opener may itself wait for the redirect's
    // answer); if it fails, the login fails with its error instead of waiting for the timeout.
    const opened = Promise.resolve()
      .then(() => options.openUrl(url))
      .then(
        () => redirected,
        (error: unknown) => {
          throw new OAuthError(`could not show the sign-in URL: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        },
      );
    const redirect = await Promise.race([redirected, opened]);
    try {
      const tokens = await exchange(oauth, redirect.code, codeVerifier, options.endpoints.tokenUrl);
      const result = grantResult(options.client, tokens, scopes);
      await redirect.respond(true, 'gphotos-backup received access to your Google Photos.');
      return result;
    } catch (error) {
      await redirect.respond(false, error instanceof Error ? error.message : String(error));
      throw error;
    }
  } finally {
    await receiver.close();
  }
}

/**
 * Google's revocation endpoint beside a token endpoint: a trailing `/token` becomes `/revoke`
 * (https://oauth2.googleapis.com/token → /revoke; the emulator's /oauth2/token → /oauth2/revoke),
 * otherwise `<origin>/revoke`.
 */
export function revokeUrlFor(tokenUrl: string): string {
  const trimmed = tokenUrl.replace(/\/+$/, '');
  return /\/token$/.test(trimmed) ? trimmed.replace(/\/token$/, '/revoke') : `${new URL(trimmed).origin}/revoke`;
}

/** Revokes a stored grant at Google (the refresh token and every access token minted from it). */
export async function revokeGrant(user: AuthorizedUser, options: { readonly revokeUrl?: string } = {}): Promise<void> {
  const oauth = new OAuth2Client({
    clientId: user.client_id,
    clientSecret: user.client_secret,
    ...(options.revokeUrl !== undefined ? { endpoints: { oauth2RevokeUrl: options.revokeUrl } } : {}),
  });
  try {
    await oauth.revokeToken(user.refresh_token);
  } catch (error) {
    throw new OAuthError(`revoking the grant at ${oauth.endpoints.oauth2RevokeUrl.toString()} failed: ${describeHttpFailure(error, [user.refresh_token, user.client_secret])}`, { cause: error });
  }
}
