// `gphotos-backup auth login|list|logout`: signs in to Google with the installed-app flow and
// keeps one authorized_user file per account in the token store. Never prints a token.
import { spawn } from 'node:child_process';
import { configDir, ConfigError, googleEndpoints, type Env } from '../config.js';
import { defaultClientSecretFile, readClientSecret } from '../google/client-secret.js';
import type { AuthorizedUser } from '../google/credentials.js';
import { LOGIN_TIMEOUT_MS, login, PERMISSIONS_PAGE, revokeGrant, revokeUrlFor } from '../google/oauth-login.js';
import { TokenStore, validateAccountName } from '../google/token-store.js';
import { flag, intOption, parse, stringOption } from './args.js';
import { EXIT, UsageError } from './exit.js';

export const DEFAULT_ACCOUNT = 'default';

export const AUTH_LOGIN_HELP = `Usage: gphotos-backup auth login [options]

Sign in to Google in your browser and store the sign-in (an authorized_user file holding a
refresh token) as an account under $GPHOTOS_CONFIG_DIR/accounts. Uses your own OAuth client of
type "Desktop app" (see README: Using the real Google APIs). Listens on 127.0.0.1 for Google's
redirect and gives up after ${LOGIN_TIMEOUT_MS / 60_000} minutes.

Options:
  --account NAME        store the sign-in under this account name (default: ${DEFAULT_ACCOUNT});
                        an existing sign-in of that name is replaced
  --client-secret FILE  the Desktop app client JSON downloaded from the Google Cloud console
                        (default: $GPHOTOS_CONFIG_DIR/client_secret.json)
  --no-browser          do not open a browser; only print the URL. On a remote machine, pick a
                        --port and forward it: ssh -L N:127.0.0.1:N host
  --port N              listen on this port of 127.0.0.1 (default: a free one)
  --json                print the result as one JSON line
  -h, --help            show this help`;

export const AUTH_LIST_HELP = `Usage: gphotos-backup auth list [--json]

List the stored sign-ins (account name, file, OAuth client).

Options:
  --json                print one JSON line: {"accounts":[{"account","file","clientId"}]}
  -h, --help            show this help`;

export const AUTH_LOGOUT_HELP = `Usage: gphotos-backup auth logout [options]

Revoke an account's access at Google and remove its stored sign-in.

Options:
  --account NAME        the account to sign out (default: ${DEFAULT_ACCOUNT})
  --keep-grant          only remove the local file; leave the access granted at Google
                        (it can be removed later at ${PERMISSIONS_PAGE})
  -h, --help            show this help`;

export const AUTH_HELP = `Usage: gphotos-backup auth <login|list|logout> [options]

Manage Google sign-ins. Each account is one authorized_user file (client id and secret, refresh
token) in $GPHOTOS_CONFIG_DIR/accounts (directory 0700, files 0600); backups name the account.

Subcommands:
  login     sign in with your browser and store the sign-in as an account
  list      list the stored accounts
  logout    revoke an account's access at Google and remove its sign-in

Run \`gphotos-backup auth <subcommand> --help\` for its options.`;

/** What the command touches outside its arguments; tests replace parts of it. */
export interface AuthContext {
  readonly env: Env;
  /** One line to standard output. */
  readonly out: (line: string) => void;
  /** One line to standard error. */
  readonly err: (line: string) => void;
  /** Opens the sign-in URL; default: the system browser (unless --no-browser). */
  readonly openBrowser: (url: string) => Promise<void> | void;
  readonly loginTimeoutMs: number;
}

/** Opens a URL in the system browser, detached; failures are ignored (the URL is printed anyway). */
export function openSystemBrowser(url: string): void {
  const [command, args, verbatim] =
    process.platform === 'darwin'
      ? ['open', [url], false]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', `"${url}"`], true]
        : ['xdg-open', [url], false];
  try {
    const child = spawn(command, args, { detached: true, stdio: 'ignore', windowsVerbatimArguments: verbatim });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no browser: the printed URL remains
  }
}

function defaultContext(): AuthContext {
  return {
    env: process.env,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    openBrowser: openSystemBrowser,
    loginTimeoutMs: LOGIN_TIMEOUT_MS,
  };
}

/** The client id without Google's fixed domain, shortened: enough to tell clients apart. */
export function clientIdLabel(clientId: string): string {
  const bare = clientId.replace(/\.apps\.googleusercontent\.com$/, '');
  return bare.length > 12 ? `…${bare.slice(-12)}` : bare;
}

async function loginCommand(argv: readonly string[], ctx: AuthContext): Promise<number> {
  const parsed = parse(argv, {
    account: { type: 'string' },
    'client-secret': { type: 'string' },
    'no-browser': { type: 'boolean' },
    port: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (flag(parsed, 'help')) {
    ctx.out(AUTH_LOGIN_HELP);
    return EXIT.ok;
  }
  const account = validateAccountName(stringOption(parsed, 'account') ?? DEFAULT_ACCOUNT);
  const port = intOption(parsed, 'port', { min: 0, max: 65535 });
  const dir = configDir(ctx.env);
  const defaultFile = defaultClientSecretFile(dir);
  const client = await readClientSecret(stringOption(parsed, 'client-secret') ?? defaultFile, defaultFile);
  const endpoints = googleEndpoints(ctx.env);
  const noBrowser = flag(parsed, 'no-browser');
  const result = await login({
    client,
    endpoints,
    ...(port !== undefined ? { port } : {}),
    timeoutMs: ctx.loginTimeoutMs,
    openUrl: async (url) => {
      ctx.err(`${noBrowser ? 'Open this URL in a browser' : 'Opening your browser; if it does not open, visit this URL'} to sign in to Google (waiting up to ${Math.round(ctx.loginTimeoutMs / 60_000)} min):`);
      ctx.err(`  ${url}`);
      if (!noBrowser) await ctx.openBrowser(url);
    },
  });
  const file = await new TokenStore(dir).save(account, result.user);
  if (result.missingScopes.length > 0) {
    ctx.err(`warning: Google did not grant ${result.missingScopes.join(', ')}; backups that need it will fail. Run the login again and tick every permission.`);
  }
  if (flag(parsed, 'json')) {
    ctx.out(JSON.stringify({ account, file, clientId: client.clientId, grantedScopes: result.grantedScopes ?? null, missingScopes: result.missingScopes }));
  } else {
    ctx.out(`Signed in: account "${account}" stored in ${file}`);
    ctx.out(`Granted scopes: ${result.grantedScopes?.join(' ') || '(not reported by Google)'}`);
  }
  return EXIT.ok;
}

interface AccountEntry {
  readonly account: string;
  readonly file: string;
  readonly clientId?: string;
  readonly error?: string;
}

async function listCommand(argv: readonly string[], ctx: AuthContext): Promise<number> {
  const parsed = parse(argv, { json: { type: 'boolean' } });
  if (flag(parsed, 'help')) {
    ctx.out(AUTH_LIST_HELP);
    return EXIT.ok;
  }
  const dir = configDir(ctx.env);
  const store = new TokenStore(dir);
  const entries: AccountEntry[] = [];
  for (const account of await store.list()) {
    let file: string;
    try {
      file = store.pathFor(account);
    } catch {
      continue; // not a name the store writes (e.g. a stray file): ignore it
    }
    try {
      entries.push({ account, file, clientId: (await store.load(account)).client_id });
    } catch (error) {
      entries.push({ account, file, error: (error as Error).message });
    }
  }
  if (flag(parsed, 'json')) {
    ctx.out(JSON.stringify({ accounts: entries }));
    return EXIT.ok;
  }
  if (entries.length === 0) {
    ctx.out(`No accounts in ${dir}. Sign in with \`gphotos-backup auth login\` (it reads your Desktop app OAuth client from ${defaultClientSecretFile(dir)} or --client-secret FILE).`);
    return EXIT.ok;
  }
  const width = Math.max(...entries.map((e) => e.account.length), 'ACCOUNT'.length);
  ctx.out(`${'ACCOUNT'.padEnd(width)}  CLIENT          FILE`);
  for (const e of entries) {
    ctx.out(`${e.account.padEnd(width)}  ${(e.clientId !== undefined ? clientIdLabel(e.clientId) : 'unreadable').padEnd(14)}  ${e.file}${e.error ? `  (${e.error})` : ''}`);
  }
  return EXIT.ok;
}

async function logoutCommand(argv: readonly string[], ctx: AuthContext): Promise<number> {
  const parsed = parse(argv, { account: { type: 'string' }, 'keep-grant': { type: 'boolean' } });
  if (flag(parsed, 'help')) {
    ctx.out(AUTH_LOGOUT_HELP);
    return EXIT.ok;
  }
  const account = validateAccountName(stringOption(parsed, 'account') ?? DEFAULT_ACCOUNT);
  const store = new TokenStore(configDir(ctx.env));
  const known = await store.list();
  if (!known.includes(account)) {
    throw new ConfigError(`no stored sign-in for account "${account}"${known.length > 0 ? ` (accounts: ${known.join(', ')})` : ''}`);
  }
  let revoked = false;
  if (!flag(parsed, 'keep-grant')) {
    let user: AuthorizedUser | undefined;
    try {
      user = await store.load(account);
    } catch (error) {
      ctx.err(`warning: cannot read the sign-in of "${account}" (${(error as Error).message}), so its access cannot be revoked at Google; remove it at ${PERMISSIONS_PAGE}`);
    }
    if (user) {
      const tokenUrlSet = (ctx.env.GOOGLE_OAUTH_TOKEN_URL ?? '').trim() !== '';
      try {
        await revokeGrant(user, tokenUrlSet ? { revokeUrl: revokeUrlFor(googleEndpoints(ctx.env).tokenUrl) } : {});
        revoked = true;
      } catch (error) {
        ctx.err(`warning: ${(error as Error).message}; removing the local sign-in anyway. To be sure access is gone, remove it at ${PERMISSIONS_PAGE}`);
      }
    }
  }
  const file = store.pathFor(account);
  await store.remove(account);
  ctx.out(`Signed out: account "${account}" removed (${file})${revoked ? '; access revoked at Google' : flag(parsed, 'keep-grant') ? '; access at Google kept' : ''}`);
  return EXIT.ok;
}

const SUBCOMMANDS: Record<string, (argv: readonly string[], ctx: AuthContext) => Promise<number>> = {
  login: loginCommand,
  list: listCommand,
  logout: logoutCommand,
};

export async function authCommand(argv: readonly string[], context: Partial<AuthContext> = {}): Promise<number> {
  const ctx: AuthContext = { ...defaultContext(), ...context };
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    ctx.out(AUTH_HELP);
    return EXIT.ok;
  }
  if (name === undefined) throw new UsageError(`missing subcommand: login, list or logout (see \`gphotos-backup auth --help\`)`);
  const run = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (!run) throw new UsageError(`unknown auth subcommand "${name}": use login, list or logout (see \`gphotos-backup auth --help\`)`);
  return await run(rest, ctx);
}
