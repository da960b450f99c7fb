// `gphotos-backup auth login|list|logout` against the emulator over real HTTP on loopback: the
// browser is simulated by fetching the authorization URL and then the loopback redirect.
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { authCommand, clientIdLabel, type AuthContext } from '../src/cli/auth.js';
import { exitCodeFor } from '../src/cli/exit.js';
import type { EmulatorEnvironment } from '../src/emulator/server.js';
import { parseClientSecret } from '../src/google/client-secret.js';
import { parseAuthorizedUser, RefreshingAccessTokens } from '../src/google/credentials.js';
import { GooglePhotosError } from '../src/google/errors.js';
import { revokeUrlFor } from '../src/google/oauth-login.js';
import { BACKUP_SCOPES, SCOPES } from '../src/google/scopes.js';
import { TokenStore } from '../src/google/token-store.js';
import { startEmulator } from './harness/emulator.js';
import { tempDir } from './harness/tmp.js';

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** What the simulated browser saw. */
interface BrowserVisit {
  authUrl?: URL;
  redirect?: URL;
  pageStatus?: number;
  page?: string;
  /** Settles when the browser has read the loopback page. */
  done?: Promise<void>;
}

describe('auth', async () => {
  const emulator = await startEmulator({ preset: 'mixed', items: 5 });

  /** A fresh config dir holding a client file (none when null); the store must make the dir 0700. */
  async function setup(clientJson: unknown = { installed: { client_id: emulator.client.clientId, client_secret: emulator.client.clientSecret, redirect_uris: ['http://localhost'] } }): Promise<{ dir: string; env: EmulatorEnvironment & { GPHOTOS_CONFIG_DIR: string } }> {
    const dir = join(tempDir('auth'), 'config');
    if (clientJson !== null) {
      await mkdir(dir, { recursive: true, mode: 0o755 });
      await writeFile(join(dir, 'client_secret.json'), JSON.stringify(clientJson));
    }
    return { dir, env: { ...emulator.env(), GPHOTOS_CONFIG_DIR: dir } };
  }

  /** Runs the command as main does: errors become exit codes and a message on stderr. */
  async function run(argv: string[], context: Partial<AuthContext>): Promise<Run> {
    const out: string[] = [];
    const err: string[] = [];
    let code: number;
    try {
      code = await authCommand(argv, { out: (line) => out.push(line), err: (line) => err.push(line), ...context });
    } catch (error) {
      err.push(`gphotos-backup auth: ${(error as Error).message}`);
      code = exitCodeFor(error);
    }
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  /**
   * A browser that follows the emulator's consent (approved at once) and then the loopback
   * redirect; `edit.auth` and `edit.redirect` tamper with either URL, `edit.beforeRedirect` runs
   * (e.g. a stray request) before the redirect is followed.
   */
  function browser(
    visit: BrowserVisit,
    edit: { auth?: (url: URL) => void; redirect?: (url: URL) => void; beforeRedirect?: (url: URL) => Promise<void> } = {},
  ): (url: string) => Promise<void> {
    const go = async (url: string) => {
      const authUrl = new URL(url);
      visit.authUrl = new URL(url);
      edit.auth?.(authUrl);
      const consent = await fetch(authUrl, { redirect: 'manual' });
      assert.equal(consent.status, 302, await consent.text());
      const redirect = new URL(consent.headers.get('location') ?? '');
      edit.redirect?.(redirect);
      visit.redirect = redirect;
      await edit.beforeRedirect?.(redirect);
      const page = await fetch(redirect);
      visit.pageStatus = page.status;
      visit.page = await page.text();
    };
    return (url) => {
      visit.done = go(url);
      return visit.done;
    };
  }

  function assertNoTokens(...texts: string[]): void {
    for (const token of emulator.issuedTokens()) for (const text of texts) assert.ok(!text.includes(token), 'a token was printed');
  }

  it('login: PKCE loopback flow stores a 0600 authorized_user file in a 0700 dir whose refresh token works', async () => {
    const { dir, env } = await setup();
    const visit: BrowserVisit = {};
    const result = await run(['login', '--account', 'me@example.com'], { env, openBrowser: browser(visit) });
    assert.equal(result.code, 0, result.err);
    await visit.done;

    const auth = visit.authUrl;
    assert.ok(auth);
    assert.equal(auth.origin + auth.pathname, env.GOOGLE_OAUTH_AUTH_URL);
    const q = auth.searchParams;
    assert.match(q.get('redirect_uri') ?? '', /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(q.get('access_type'), 'offline');
    assert.equal(q.get('prompt'), 'consent');
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.match(q.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.ok((q.get('state') ?? '').length >= 32);
    assert.deepEqual(q.get('scope')?.split(' '), [...BACKUP_SCOPES]);
    assert.equal(visit.pageStatus, 200);
    assert.match(visit.page ?? '', /You can close this tab/);
    assert.ok(result.err.includes(auth.toString()), 'the URL is printed to stderr');

    const file = join(dir, 'accounts', 'me@example.com.json');
    assert.ok(result.out.includes(file), result.out);
    for (const scope of BACKUP_SCOPES) assert.ok(result.out.includes(scope), result.out);
    assert.ok(!/warning/.test(result.err), result.err);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'accounts'))).mode & 0o777, 0o700);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    const user = parseAuthorizedUser(await readFile(file, 'utf8'), file);
    assert.equal(user.client_id, emulator.client.clientId);
    assert.equal(user.client_secret, emulator.client.clientSecret);
    assert.deepEqual(Object.keys(user).sort(), ['client_id', 'client_secret', 'refresh_token', 'type']);
    assert.ok(emulator.issuedTokens().includes(user.refresh_token));
    const token = await new RefreshingAccessTokens(user, { tokenUrl: env.GOOGLE_OAUTH_TOKEN_URL }).token();
    const list = await fetch(`${env.GPHOTOS_LIBRARY_API_URL}/v1/mediaItems`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(list.status, 200);
    assertNoTokens(result.out, result.err);
  });

  it('login --json, --client-secret FILE and --port N; a port in use is a configuration error', async () => {
    const { dir, env } = await setup(null);
    const clientFile = join(tempDir('auth-client'), 'my-desktop-client.json');
    await writeFile(clientFile, JSON.stringify({ installed: { client_id: emulator.client.clientId, client_secret: emulator.client.clientSecret } }));
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const busy = (blocker.address() as AddressInfo).port;
    try {
      const inUse = await run(['login', '--client-secret', clientFile, '--port', String(busy)], { env, openBrowser: browser({}) });
      assert.equal(inUse.code, 2, inUse.err);
      assert.match(inUse.err, new RegExp(`127\\.0\\.0\\.1:${busy}.*--port`));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    const visit: BrowserVisit = {};
    const result = await run(['login', '--client-secret', clientFile, '--port', String(busy), '--json'], { env, openBrowser: browser(visit) });
    assert.equal(result.code, 0, result.err);
    assert.equal(visit.authUrl?.searchParams.get('redirect_uri'), `http://127.0.0.1:${busy}/`);
    const answer = JSON.parse(result.out) as { account: string; file: string; grantedScopes: string[]; missingScopes: string[] };
    assert.equal(answer.account, 'default');
    assert.equal(answer.file, join(dir, 'accounts', 'default.json'));
    assert.deepEqual(answer.grantedScopes, [...BACKUP_SCOPES]);
    assert.deepEqual(answer.missingScopes, []);
    assertNoTokens(result.out, result.err);
  });

  it('login warns when Google grants fewer scopes than asked', async () => {
    const { env } = await setup();
    const result = await run(['login'], { env, openBrowser: browser({}, { auth: (url) => url.searchParams.set('scope', SCOPES.libraryReadAppCreated) }) });
    assert.equal(result.code, 0, result.err);
    assert.match(result.err, new RegExp(`warning: Google did not grant ${SCOPES.pickerReadOnly.replace(/\./g, '\\.')}`));
  });

  it('login refuses a redirect with a wrong state, waits on until its timeout, and stores nothing', async () => {
    const { dir, env } = await setup();
    const visit: BrowserVisit = {};
    const started = Date.now();
    const result = await run(['login'], { env, loginTimeoutMs: 1500, openBrowser: browser(visit, { redirect: (url) => url.searchParams.set('state', 'forged') }) });
    assert.equal(result.code, 1);
    assert.ok(Date.now() - started >= 1400, 'the wrong state did not end the wait');
    assert.match(result.err, /no sign-in arrived from the browser within 2 s \(1 request\(s\) with a wrong "state"/);
    await visit.done;
    assert.equal(visit.pageStatus, 400);
    assert.match(visit.page ?? '', /Sign-in failed/);
    assert.match(visit.page ?? '', /wrong &#34;state&#34;.*was ignored/);
    assert.deepEqual(await new TokenStore(dir).list(), []);
  });

  it('a stray request with a wrong state gets an error page; the real redirect after it signs in', async () => {
    const { dir, env } = await setup();
    const visit: BrowserVisit = {};
    const stray: { status?: number; page?: string } = {};
    const strayFirst = async (redirect: URL) => {
      const forged = new URL(redirect);
      forged.searchParams.set('state', 'forged');
      const answer = await fetch(forged);
      stray.status = answer.status;
      stray.page = await answer.text();
    };
    const result = await run(['login', '--account', 'alice'], { env, openBrowser: browser(visit, { beforeRedirect: strayFirst }) });
    assert.equal(result.code, 0, result.err);
    await visit.done;
    assert.equal(stray.status, 400);
    assert.match(stray.page ?? '', /Sign-in failed/);
    assert.equal(visit.pageStatus, 200);
    assert.match(visit.page ?? '', /Signed in/);
    assert.deepEqual(await new TokenStore(dir).list(), ['alice']);
  });

  it('login rejects error=access_denied on the redirect', async () => {
    const { dir, env } = await setup();
    const visit: BrowserVisit = {};
    const deny = (url: URL) => {
      url.searchParams.delete('code');
      url.searchParams.delete('scope');
      url.searchParams.set('error', 'access_denied');
    };
    const result = await run(['login'], { env, openBrowser: browser(visit, { redirect: deny }) });
    assert.equal(result.code, 1);
    assert.match(result.err, /Google did not grant access: access_denied/);
    await visit.done;
    assert.equal(visit.pageStatus, 400);
    assert.match(visit.page ?? '', /access_denied/);
    assert.deepEqual(await new TokenStore(dir).list(), []);
  });

  it('login fails with advice when Google sends no refresh token', async () => {
    const { dir, env } = await setup();
    const visit: BrowserVisit = {};
    const result = await run(['login'], { env, openBrowser: browser(visit, { auth: (url) => url.searchParams.delete('access_type') }) });
    assert.equal(result.code, 1);
    assert.match(result.err, /without a refresh token/);
    await visit.done;
    assert.match(result.err, /myaccount\.google\.com\/permissions/);
    assert.equal(visit.pageStatus, 500);
    assert.deepEqual(await new TokenStore(dir).list(), []);
    assertNoTokens(result.out, result.err, visit.page ?? '');
  });

  it('login gives up when no redirect arrives in time', async () => {
    const { env } = await setup();
    const started = Date.now();
    const result = await run(['login', '--no-browser'], { env, loginTimeoutMs: 300, openBrowser: () => assert.fail('--no-browser must not open a browser') });
    assert.equal(result.code, 1);
    assert.match(result.err, /no sign-in arrived from the browser/);
    assert.match(result.err, /Open this URL in a browser/);
    assert.ok(Date.now() - started < 5000);
  });

  it('login without a client file, or with a Web application client, exits 2 and says how to create a Desktop client', async () => {
    const missing = await setup(null);
    const result = await run(['login'], { env: missing.env, openBrowser: () => assert.fail('no browser expected') });
    assert.equal(result.code, 2);
    assert.ok(result.err.includes(join(missing.dir, 'client_secret.json')), result.err);
    assert.match(result.err, /Desktop app/);
    assert.match(result.err, /Google Cloud console/);

    const web = await setup({ web: { client_id: 'x.apps.googleusercontent.com', client_secret: 'y' } });
    const webResult = await run(['login'], { env: web.env, openBrowser: () => assert.fail('no browser expected') });
    assert.equal(webResult.code, 2);
    assert.match(webResult.err, /Web application/);
    assert.match(webResult.err, /Desktop app/);
  });

  it('client file parsing: installed accepted; web, authorized_user, broken JSON and missing fields refused', () => {
    assert.deepEqual(parseClientSecret('{"installed":{"client_id":"a","client_secret":"b"}}', 'f', 'd'), { clientId: 'a', clientSecret: 'b' });
    assert.throws(() => parseClientSecret('{"web":{"client_id":"a","client_secret":"b"}}', 'f', 'd'), /Web application/);
    assert.throws(() => parseClientSecret('{"type":"authorized_user"}', 'f', 'd'), /stored sign-in/);
    assert.throws(() => parseClientSecret('{', 'f', 'd'), /not valid JSON/);
    assert.throws(() => parseClientSecret('{"installed":{"client_id":"a"}}', 'f', 'd'), /client_secret/);
  });

  it('list shows stored accounts (text and --json) and says how to log in when there are none', async () => {
    const { dir, env } = await setup();
    const empty = await run(['list'], { env });
    assert.equal(empty.code, 0);
    assert.match(empty.out, /No accounts/);
    assert.match(empty.out, /auth login/);
    assert.deepEqual(JSON.parse((await run(['list', '--json'], { env })).out), { accounts: [] });

    const store = new TokenStore(dir);
    const fileA = await store.save('alice', emulator.credentials());
    const fileB = await store.save('bob', emulator.credentials());
    const text = await run(['list'], { env });
    assert.equal(text.code, 0);
    assert.match(text.out, /^alice\s/m);
    assert.match(text.out, /^bob\s/m);
    assert.ok(text.out.includes(fileA) && text.out.includes(fileB));
    assert.ok(text.out.includes(clientIdLabel(emulator.client.clientId)));
    const json = JSON.parse((await run(['list', '--json'], { env })).out) as { accounts: { account: string; file: string; clientId: string }[] };
    assert.deepEqual(json.accounts.map((a) => [a.account, a.file, a.clientId]), [
      ['alice', fileA, emulator.client.clientId],
      ['bob', fileB, emulator.client.clientId],
    ]);
    assertNoTokens(text.out, JSON.stringify(json));
  });

  it('logout revokes the grant at Google (the refresh token then fails as revoked) and removes the file', async () => {
    const { dir, env } = await setup();
    const login = await run(['login', '--account', 'alice'], { env, openBrowser: browser({}) });
    assert.equal(login.code, 0, login.err);
    const store = new TokenStore(dir);
    const user = await store.load('alice');
    const result = await run(['logout', '--account', 'alice'], { env });
    assert.equal(result.code, 0, result.err);
    assert.match(result.out, /access revoked at Google/);
    assert.equal(result.err, '');
    assert.deepEqual(await store.list(), []);
    await assert.rejects(stat(store.pathFor('alice')), { code: 'ENOENT' });
    await assert.rejects(new RefreshingAccessTokens(user, { tokenUrl: env.GOOGLE_OAUTH_TOKEN_URL }).token(), (error: unknown) => {
      assert.ok(error instanceof GooglePhotosError);
      assert.equal(error.kind, 'revoked');
      return true;
    });
    assertNoTokens(result.out, result.err);
  });

  it('logout --keep-grant leaves the grant alive; a failed revoke still removes the file with a warning', async () => {
    const { dir, env } = await setup();
    const store = new TokenStore(dir);
    const kept = emulator.credentials();
    await store.save('kept', kept);
    const keep = await run(['logout', '--account', 'kept', '--keep-grant'], { env });
    assert.equal(keep.code, 0, keep.err);
    assert.match(keep.out, /access at Google kept/);
    assert.deepEqual(await store.list(), []);
    assert.ok(await new RefreshingAccessTokens(kept, { tokenUrl: env.GOOGLE_OAUTH_TOKEN_URL }).token());

    // A refresh token the server does not know: Google answers 400 invalid_token.
    await store.save('default', { ...emulator.credentials(), refresh_token: '1//unknown-to-the-server' });
    const result = await run(['logout'], { env });
    assert.equal(result.code, 0, result.err);
    assert.match(result.err, /warning: revoking the grant at http:\/\/127\.0\.0\.1:\d+\/oauth2\/revoke failed: invalid_token/);
    assert.match(result.err, /myaccount\.google\.com\/permissions/);
    assert.deepEqual(await store.list(), []);
    assertNoTokens(result.out, result.err);
  });

  it('logout of an unknown account exits 2', async () => {
    const { dir, env } = await setup();
    await new TokenStore(dir).save('alice', emulator.credentials());
    const result = await run(['logout', '--account', 'nobody'], { env });
    assert.equal(result.code, 2);
    assert.match(result.err, /no stored sign-in for account "nobody" \(accounts: alice\)/);
    assert.deepEqual(await new TokenStore(dir).list(), ['alice']);
    assert.equal((await run(['logout', '--account', '../x'], { env })).code, 2);
  });

  it('help on every level; unknown or missing subcommand and unknown flags exit 2', async () => {
    const { env } = await setup();
    for (const argv of [['--help'], ['login', '--help'], ['list', '-h'], ['logout', '--help']]) {
      const result = await run(argv, { env });
      assert.equal(result.code, 0, argv.join(' '));
      assert.match(result.out, /^Usage: gphotos-backup auth/, argv.join(' '));
    }
    assert.equal((await run(['frobnicate'], { env })).code, 2);
    assert.equal((await run(['toString'], { env })).code, 2);
    assert.equal((await run([], { env })).code, 2);
    assert.equal((await run(['list', '--bogus'], { env })).code, 2);
    assert.equal((await run(['login', '--port', '70000'], { env })).code, 2);
  });

  it('the revoke URL sits beside the token URL', () => {
    assert.equal(revokeUrlFor('https://oauth2.googleapis.com/token'), 'https://oauth2.googleapis.com/revoke');
    assert.equal(revokeUrlFor('http://127.0.0.1:8980/oauth2/token'), 'http://127.0.0.1:8980/oauth2/revoke');
    assert.equal(revokeUrlFor('http://127.0.0.1:8980/custom/exchange'), 'http://127.0.0.1:8980/revoke');
  });
});
