// Emulator conformance: OAuth authorize and token endpoints (authorization code with PKCE,
// refresh, revocation), driven partly by google-auth-library's own clients.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { OAuth2Client } from 'google-auth-library';
import { RefreshingAccessTokens } from '../src/google/credentials.js';
import { GooglePhotosError } from '../src/google/errors.js';
import { BACKUP_SCOPES } from '../src/google/scopes.js';
import { callApi, startEmulator } from './harness/emulator.js';

describe('emulator: OAuth', async () => {
  const emulator = await startEmulator({ preset: 'mixed' });
  const env = emulator.env();
  const redirectUri = 'http://127.0.0.1:53682/callback';

  function client(): OAuth2Client {
    return new OAuth2Client({
      clientId: emulator.client.clientId,
      clientSecret: emulator.client.clientSecret,
      redirectUri,
      endpoints: { oauth2TokenUrl: env.GOOGLE_OAUTH_TOKEN_URL, oauth2AuthBaseUrl: env.GOOGLE_OAUTH_AUTH_URL },
    });
  }

  async function authorize(url: string): Promise<URL> {
    const response = await fetch(url, { redirect: 'manual' });
    assert.equal(response.status, 302, await response.text());
    return new URL(response.headers.get('location') ?? '');
  }

  it('authorize approves at once and redirects to the loopback URI; PKCE code exchange gives a refresh token', async () => {
    const oauth = client();
    const { codeVerifier, codeChallenge } = await oauth.generateCodeVerifierAsync();
    const url = oauth.generateAuthUrl({ access_type: 'offline', scope: [...BACKUP_SCOPES], state: 'xyz', code_challenge: codeChallenge, code_challenge_method: 'S256' as never });
    const back = await authorize(url);
    assert.equal(back.origin + back.pathname, redirectUri);
    assert.equal(back.searchParams.get('state'), 'xyz');
    const code = back.searchParams.get('code') ?? '';
    const { tokens } = await oauth.getToken({ code, codeVerifier });
    assert.ok(tokens.refresh_token?.startsWith('1//'));
    assert.ok(tokens.access_token);
    const list = await callApi(`${env.GPHOTOS_LIBRARY_API_URL}/v1/mediaItems`, { token: tokens.access_token });
    assert.equal(list.status, 200);
    await assert.rejects(oauth.getToken({ code, codeVerifier }), /invalid_grant/, 'a code is single-use');
  });

  it('refuses a wrong PKCE verifier, a non-loopback redirect, the OOB flow and unknown clients', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const q = (extra: Record<string, string>) =>
      `${env.GOOGLE_OAUTH_AUTH_URL}?${new URLSearchParams({ client_id: emulator.client.clientId, redirect_uri: redirectUri, response_type: 'code', scope: BACKUP_SCOPES.join(' '), code_challenge: challenge, code_challenge_method: 'S256', ...extra }).toString()}`;
    const back = await authorize(q({}));
    const exchange = await fetch(env.GOOGLE_OAUTH_TOKEN_URL, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code: back.searchParams.get('code') ?? '', redirect_uri: redirectUri, client_id: emulator.client.clientId, client_secret: emulator.client.clientSecret, code_verifier: 'wrong' }),
    });
    assert.equal(exchange.status, 400);
    assert.equal(((await exchange.json()) as { error: string }).error, 'invalid_grant');
    assert.equal((await fetch(q({ redirect_uri: 'https://evil.example/cb' }), { redirect: 'manual' })).status, 400);
    assert.match(await (await fetch(q({ redirect_uri: 'urn:ietf:wg:oauth:2.0:oob' }), { redirect: 'manual' })).text(), /out-of-band \(OOB\) flow has been blocked/);
    assert.equal((await fetch(q({ client_id: 'nobody' }), { redirect: 'manual' })).status, 401);
  });

  it('refresh works through google-auth-library until the refresh token is revoked, then fails as "revoked"', async () => {
    const creds = emulator.credentials();
    const tokens = new RefreshingAccessTokens(creds, { tokenUrl: env.GOOGLE_OAUTH_TOKEN_URL });
    const first = await tokens.token();
    assert.equal((await callApi(`${env.GPHOTOS_LIBRARY_API_URL}/v1/mediaItems`, { token: first })).status, 200);
    assert.equal(await tokens.token(), first, 'a live token is reused, not refreshed');
    emulator.revoke(creds.refresh_token);
    assert.equal((await callApi(`${env.GPHOTOS_LIBRARY_API_URL}/v1/mediaItems`, { token: first })).status, 401, 'access tokens die with their refresh token');
    tokens.invalidate();
    await assert.rejects(tokens.token(), (error: unknown) => {
      assert.ok(error instanceof GooglePhotosError);
      assert.equal(error.kind, 'revoked');
      assert.equal(error.retryable, false);
      assert.match(error.message, /auth login/);
      return true;
    });
  });

  it('expired access tokens are refreshed', async () => {
    const tokens = new RefreshingAccessTokens(emulator.credentials(), { tokenUrl: env.GOOGLE_OAUTH_TOKEN_URL });
    const first = await tokens.token();
    emulator.expireAccessTokens();
    assert.equal((await callApi(`${env.GPHOTOS_LIBRARY_API_URL}/v1/mediaItems`, { token: first })).status, 401);
    tokens.invalidate();
    const second = await tokens.token();
    assert.notEqual(second, first);
    assert.equal((await callApi(`${env.GPHOTOS_LIBRARY_API_URL}/v1/mediaItems`, { token: second })).status, 200);
  });

  it('the token endpoint answers RFC 6749 errors: invalid_client, unsupported_grant_type', async () => {
    const bad = await fetch(env.GOOGLE_OAUTH_TOKEN_URL, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x', client_id: emulator.client.clientId, client_secret: 'wrong' }) });
    assert.equal(bad.status, 401);
    assert.equal(((await bad.json()) as { error: string }).error, 'invalid_client');
    const grant = await fetch(env.GOOGLE_OAUTH_TOKEN_URL, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', client_id: emulator.client.clientId, client_secret: emulator.client.clientSecret }) });
    assert.equal(((await grant.json()) as { error: string }).error, 'unsupported_grant_type');
  });
});
