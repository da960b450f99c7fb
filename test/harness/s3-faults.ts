// A loopback proxy in front of the real S3 server that answers some requests itself with S3's
// own throttling and server errors (503 SlowDown, 500 InternalError), the way AWS does under
// load, or with 501 NotImplemented the way servers without conditional writes do, and that can
// hold the server's answers back for a while (a slow network: the answer is older than it looks
// when it arrives). Everything else is passed through untouched (the Host header too, so
// signatures hold).
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface S3FaultRule {
  /** HTTP method to match (e.g. 'PUT' for uploads and parts); any when absent. */
  readonly method?: string;
  /** Only requests carrying this header (lower case, e.g. 'if-none-match'); any when absent. */
  readonly header?: string;
  /** Answer with this S3 error instead of passing the request on. */
  readonly status?: 500 | 501 | 503;
  /** Pass the request on at once and the server's answer back this many milliseconds later (when no status is given). */
  readonly delayMs?: number;
  /** Fire on every `every`-th matching request. */
  readonly every: number;
}

export interface S3FaultProxy {
  readonly endpoint: string;
  /** Requests answered with a fault so far, by status. */
  readonly injected: Record<number, number>;
  /** Requests passed through to the server (delayed ones included). */
  readonly passed: number;
  /** Answers held back before being passed on. */
  readonly delayed: number;
  setRules(rules: readonly S3FaultRule[]): void;
  close(): Promise<void>;
}

const BODIES: Record<500 | 501 | 503, string> = {
  503: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
  500: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>',
  501: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NotImplemented</Code><Message>A header you provided implies functionality that is not implemented.</Message></Error>',
};

export async function startS3FaultProxy(target: string): Promise<S3FaultProxy> {
  const upstream = new URL(target);
  let rules: readonly S3FaultRule[] = [];
  const seen = new Map<S3FaultRule, number>();
  const injected: Record<number, number> = {};
  let passed = 0;

  let delayed = 0;

  const fault = (req: IncomingMessage): S3FaultRule | undefined =>
    rules.find((rule) => {
      if (rule.method && rule.method !== req.method) return false;
      if (rule.header && req.headers[rule.header] === undefined) return false;
      const n = (seen.get(rule) ?? 0) + 1;
      seen.set(rule, n);
      return n % rule.every === 0;
    });

  const answer = (req: IncomingMessage, res: ServerResponse, status: 500 | 501 | 503): void => {
    injected[status] = (injected[status] ?? 0) + 1;
    // Read and drop the body, as a server would before answering.
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/xml', connection: 'close' });
      res.end(BODIES[status]);
    });
  };

  const pass = (req: IncomingMessage, res: ServerResponse, delayMs = 0): void => {
    passed += 1;
    const forward = request(
      // A connection per request: a pooled one the server has closed while idle would reset.
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent: false },
      (answer) => {
        const reply = () => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        };
        if (delayMs > 0) setTimeout(reply, delayMs);
        else reply();
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const rule = fault(req);
    if (rule?.status !== undefined) return answer(req, res, rule.status);
    if (rule?.delayMs !== undefined) delayed += 1;
    pass(req, res, rule?.delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    injected,
    get passed() {
      return passed;
    },
    get delayed() {
      return delayed;
    },
    setRules(next) {
      rules = next;
      seen.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
