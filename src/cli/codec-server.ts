// `gphotos-backup codec-server`: lets the Temporal Web UI (and `temporal` CLI) show sealed
// payloads in plain text to people who hold the keys. Serves Temporal's codec protocol (POST
// /decode and /encode, `{"payloads": [{"metadata": {...base64}, "data": base64}]}`) on loopback,
// with CORS for the Web UI's origin only: a page from any other origin gets nothing.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { codecFromEnv, fromWire, toWire, type AesGcmCodec, type WirePayload } from '../temporal/codec.js';
import { flag, intOption, parse, stringList, stringOption } from './args.js';
import { EXIT, UsageError } from './exit.js';

export const CODEC_SERVER_HELP = `Usage: gphotos-backup codec-server [--port N] [--host H] [--ui-origin URL...]

Serve Temporal's codec protocol (POST /decode, /encode) with the payload keys of
GPHOTOS_CODEC_KEYS or GPHOTOS_CODEC_KEY_FILE, so the Web UI can show encrypted histories in
plain text: in the Web UI, set the codec server (the settings icon, "Codec Server") to
http://HOST:PORT. Only the Web UI's origins are allowed to call it from a browser.

Options:
  --port N              port (default: 8888)
  --host H              address to listen on (default: 127.0.0.1)
  --ui-origin URL       the Web UI's origin, repeatable (default: http://localhost:8233 and
                        http://127.0.0.1:8233)
  -h, --help            show this help`;

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 16 * 1024 * 1024) throw new UsageError('request too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Handles one request: CORS for the allowed origins, then /decode or /encode. */
export async function handleCodecRequest(codec: AesGcmCodec, origins: ReadonlySet<string>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const origin = req.headers.origin;
  if (origin !== undefined && !origins.has(origin)) {
    res.writeHead(403, { 'content-type': 'text/plain' }).end('origin not allowed\n');
    return;
  }
  const cors: Record<string, string> = origin ? { 'access-control-allow-origin': origin, 'access-control-allow-methods': 'POST, OPTIONS', 'access-control-allow-headers': 'content-type, x-namespace, authorization', 'access-control-allow-credentials': 'true', vary: 'origin' } : {};
  if (req.method === 'OPTIONS') {
    res.writeHead(204, cors).end();
    return;
  }
  const path = (req.url ?? '').split('?')[0] ?? '';
  if (req.method !== 'POST' || !['/decode', '/encode'].some((p) => path.endsWith(p))) {
    res.writeHead(404, { ...cors, 'content-type': 'text/plain' }).end('POST /decode or /encode\n');
    return;
  }
  try {
    const { payloads } = JSON.parse(await body(req)) as { payloads?: WirePayload[] };
    const input = (payloads ?? []).map(fromWire);
    const output = path.endsWith('/decode') ? await codec.decode(input) : await codec.encode(input);
    res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify({ payloads: output.map(toWire) }));
  } catch (error) {
    res.writeHead(400, { ...cors, 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`);
  }
}

export async function codecServerCommand(argv: readonly string[]): Promise<number> {
  const parsed = parse(argv, { port: { type: 'string' }, host: { type: 'string' }, 'ui-origin': { type: 'string', multiple: true } });
  if (flag(parsed, 'help')) {
    console.log(CODEC_SERVER_HELP);
    return EXIT.ok;
  }
  const codec = codecFromEnv();
  if (!codec) throw new UsageError('no payload keys: set GPHOTOS_CODEC_KEYS or GPHOTOS_CODEC_KEY_FILE (the keys the workers use)');
  const port = intOption(parsed, 'port', { min: 0, max: 65535 }) ?? 8888;
  const host = stringOption(parsed, 'host') ?? '127.0.0.1';
  const given = stringList(parsed, 'ui-origin');
  const origins = new Set(given.length > 0 ? given.map((o) => o.replace(/\/$/, '')) : ['http://localhost:8233', 'http://127.0.0.1:8233']);
  const server = createServer((req, res) => void handleCodecRequest(codec, origins, req, res));
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve()));
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  console.log(`codec server on http://${host}:${bound} for ${[...origins].join(', ')}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  server.close();
  return EXIT.interrupted;
}
