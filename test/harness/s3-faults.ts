// A loopback proxy in front of the real S3 server that answers some requests itself with S3's
// own throttling and server errors (503 SlowDown, 500 InternalError), the way AWS does under
// load. Everything else is passed through untouched (the Host header too, so signatures hold).
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface S3FaultRule {
  /** HTTP method to match (e.g. 'PUT' for uploads and parts); any when absent. */
  readonly method?: string;
  readonly status: 500 | 503;
  /** Fire on every `every`-th matching request. */
  readonly every: number;
}

export interface S3FaultProxy {
  readonly endpoint: string;
  /** Requests answered with a fault so far, by status. */
  readonly injected: Record<number, number>;
  /** Requests passed through to the server. */
  readonly passed: number;
  setRules(rules: readonly S3FaultRule[]): void;
  close(): Promise<void>;
}

const BODIES: Record<500 | 503, string> = {
  503: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
  500: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>',
};

export async function startS3FaultProxy(target: string): Promise<S3FaultProxy> {
  const upstream = new URL(target);
  let rules: readonly S3FaultRule[] = [];
  const seen = new Map<S3FaultRule, number>();
  const injected: Record<number, number> = {};
  let passed = 0;

  const fault = (req: IncomingMessage): S3FaultRule | undefined =>
    rules.find((rule) => {
      if (rule.method && rule.method !== req.method) return false;
      const n = (seen.get(rule) ?? 0) + 1;
      seen.set(rule, n);
      return n % rule.every === 0;
    });

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const rule = fault(req);
    if (rule) {
      injected[rule.status] = (injected[rule.status] ?? 0) + 1;
      // Read and drop the body, as a server would before answering.
      req.resume();
      req.on('end', () => {
        res.writeHead(rule.status, { 'content-type': 'application/xml', connection: 'close' });
        res.end(BODIES[rule.status]);
      });
      return;
    }
    passed += 1;
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    injected,
    get passed() {
      return passed;
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
