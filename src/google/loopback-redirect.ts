// The loopback half of the installed-app OAuth flow (RFC 8252 §7.3): an HTTP server on
// 127.0.0.1 that receives exactly one authorization redirect, checks its `state`, and holds the
// browser's request open until the caller has exchanged the code, so the page can say whether
// the sign-in worked. A request with a wrong `state` (a stale tab, or anything else on this
// machine that finds the port) gets an error page and is otherwise ignored: it cannot end the
// sign-in, which goes on waiting for the real redirect until its timeout.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../config.js';

/** A sign-in that failed or was refused: the CLI exits 1 with this message. */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
}

/** An authorization code received on the loopback address. */
export interface Redirect {
  readonly code: string;
  /** The scopes Google reports on the redirect (informative; the token answer is authoritative). */
  readonly scope: string | undefined;
  /** Answers the waiting browser request with a page; resolves once it is sent. */
  respond(ok: boolean, message: string): Promise<void>;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function resultPage(ok: boolean, message: string): string {
  const title = ok ? 'gphotos-backup: signed in' : 'gphotos-backup: sign-in failed';
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>` +
    `<body style="font-family: sans-serif; margin: 3em"><h1>${ok ? 'Signed in' : 'Sign-in failed'}</h1>` +
    `<p>${escapeHtml(message)}</p><p>You can close this tab and return to the terminal.</p></body></html>`
  );
}

function send(res: ServerResponse, status: number, body: string): Promise<void> {
  return new Promise((resolve) => {
    if (res.writableEnded) return resolve();
    res.once('close', () => resolve());
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      connection: 'close',
    });
    res.end(body, () => resolve());
  });
}

interface Waiter {
  readonly state: string;
  /** Stops the timer and takes this waiter out of service (call before answering). */
  readonly finish: () => void;
  readonly resolve: (redirect: Redirect) => void;
  readonly reject: (error: Error) => void;
}

export class LoopbackReceiver {
  private waiter: Waiter | undefined;
  private settled = false;
  /** Requests refused for a wrong `state` while waiting (told when the wait times out). */
  private wrongStates = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listens on 127.0.0.1:port (0: an ephemeral port) before any URL is built. */
  static async start(port = 0): Promise<LoopbackReceiver> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRINUSE' || error.code === 'EACCES') {
          reject(new ConfigError(`cannot listen on 127.0.0.1:${port} for the sign-in redirect (${error.code}): pick another --port, or leave it out for a free one`));
        } else {
          reject(error);
        }
      });
      server.listen({ host: '127.0.0.1', port }, () => resolve());
    });
    const receiver = new LoopbackReceiver(server, (server.address() as AddressInfo).port);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => receiver.handle(req, res));
    return receiver;
  }

  /** The redirect_uri registered in the authorization request. */
  get redirectUri(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  /** Waits for the redirect carrying `state`; rejects on its `error=` or the timeout (a wrong state is refused and ignored). */
  waitForRedirect(state: string, timeoutMs: number): Promise<Redirect> {
    if (this.waiter || this.settled) throw new Error('LoopbackReceiver waits for one redirect only');
    return new Promise<Redirect>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle();
        const refused = this.wrongStates > 0 ? ` (${this.wrongStates} request(s) with a wrong "state", from a stale tab or not from Google, were refused)` : '';
        reject(new OAuthError(`no sign-in arrived from the browser within ${Math.round(timeoutMs / 1000)} s${refused}; run the login again`));
      }, timeoutMs);
      this.waiter = {
        state,
        finish: () => {
          clearTimeout(timer);
          this.settle();
        },
        resolve,
        reject,
      };
    });
  }

  private settle(): void {
    this.waiter = undefined;
    this.settled = true;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.redirectUri);
    if (req.method !== 'GET' || url.pathname !== '/') {
      void send(res, 404, resultPage(false, 'Not found.'));
      return;
    }
    const q = url.searchParams;
    if (!q.has('code') && !q.has('error') && !q.has('state')) {
      void send(res, 400, resultPage(false, 'This address only receives the redirect from Google’s sign-in page.'));
      return;
    }
    const waiter = this.waiter;
    if (!waiter) {
      void send(res, 409, resultPage(false, 'This sign-in is already finished or has timed out; run the login again.'));
      return;
    }
    if (q.get('state') !== waiter.state) {
      // Not the redirect this sign-in waits for: refuse it, and keep waiting for the real one.
      this.wrongStates += 1;
      void send(res, 400, resultPage(false, 'This request carried a wrong "state" (a stale tab or a forged request) and was ignored. Finish the sign-in in the tab the login opened last.'));
      return;
    }
    waiter.finish();
    // A failure is answered first, so the browser shows the page before the listener closes.
    const fail = (message: string) => {
      void send(res, 400, resultPage(false, message)).then(() => waiter.reject(new OAuthError(message)));
    };
    const error = q.get('error');
    if (error !== null) {
      const description = q.get('error_description');
      const hint = error === 'access_denied' ? ' (access was refused or the consent screen was cancelled)' : '';
      return fail(`Google did not grant access: ${error}${description ? `: ${description}` : ''}${hint}`);
    }
    const code = q.get('code');
    if (!code) return fail('The redirect carried neither a code nor an error; the sign-in was aborted.');
    waiter.resolve({ code, scope: q.get('scope') ?? undefined, respond: (ok, message) => send(res, ok ? 200 : 500, resultPage(ok, message)) });
  }

  /** Stops listening and drops any open connection. */
  async close(): Promise<void> {
    const waiter = this.waiter;
    if (waiter) {
      waiter.finish();
      waiter.reject(new OAuthError('the sign-in listener was closed'));
    }
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
