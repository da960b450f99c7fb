// A real S3 server for tests and benchmarks: versitygw (posix backend, metadata in a sidecar dir) on a free
// loopback port with random root credentials and one bucket; restartable on the same port and data.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { resolveTool } from '../tools/tools.js';
import { assertPortFree, freePort, ManagedProcess } from './process.js';

export interface S3ServerOptions {
  /** Root of the server's state (iam/, meta/, data/, versitygw.log); created if missing. */
  dataDir: string;
  /** Bucket created at start (default 'gphotos-test'). */
  bucket?: string;
  /** Listen port (default: a free port). */
  port?: number;
}

export interface S3DevServer {
  /** e.g. 'http://127.0.0.1:40123' */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly bucket: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** pid of the current server process. */
  readonly pid: number;
  /** A new client for this server (path-style, SDK default checksums); destroyed by stop(), kept over restart(). */
  client(overrides?: Partial<S3ClientConfig>): S3Client;
  /** AWS_* variables that point an SDK in a child process at this server. */
  env(): Record<string, string>;
  stop(): Promise<void>;
  /** Stops the server and starts it again on the same port and data directory after `downMs`. */
  restart(downMs?: number): Promise<void>;
}

const HOST = '127.0.0.1';
const REGION = 'us-east-1';

export async function startS3Server(options: S3ServerOptions): Promise<S3DevServer> {
  const executable = await resolveTool('s3server');
  const dataDir = options.dataDir;
  const bucket = options.bucket ?? 'gphotos-test';
  const port = options.port ?? (await freePort());
  for (const sub of ['iam', 'meta', 'data']) mkdirSync(join(dataDir, sub), { recursive: true });
  const logFile = join(dataDir, 'versitygw.log');
  const accessKeyId = `test${randomBytes(8).toString('hex')}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  const endpoint = `http://${HOST}:${port}`;

  const args = [
    '--port', `${HOST}:${port}`,
    '--region', REGION,
    '--iam-dir', join(dataDir, 'iam'),
    '--health', '/health',
    'posix',
    '--sidecar', join(dataDir, 'meta'),
    join(dataDir, 'data'),
  ];
  const env = { ...process.env, ROOT_ACCESS_KEY: accessKeyId, ROOT_SECRET_KEY: secretAccessKey };

  const launch = async (): Promise<ManagedProcess> => {
    await assertPortFree(port, HOST);
    const proc = await ManagedProcess.start({ name: 'versitygw', command: executable, args, env, logFile });
    try {
      await proc.waitUntilReady(
        [
          { kind: 'tcp', host: HOST, port },
          { kind: 'http', url: `${endpoint}/health` },
        ],
        { timeoutMs: 30_000 },
      );
    } catch (err) {
      await proc.stop({ graceMs: 2_000 });
      throw err;
    }
    return proc;
  };

  const clients = new Set<S3Client>();
  const client = (overrides: Partial<S3ClientConfig> = {}): S3Client => {
    const c = new S3Client({
      endpoint,
      region: REGION,
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
      ...overrides,
    });
    clients.add(c);
    return c;
  };
  const destroyClients = (): void => {
    for (const c of clients) c.destroy();
    clients.clear();
  };

  let current = await launch();
  try {
    const admin = client();
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    destroyClients();
    await current.stop();
    throw err;
  }

  return {
    endpoint,
    region: REGION,
    accessKeyId,
    secretAccessKey,
    bucket,
    dataDir,
    logFile,
    get pid() {
      return current.pid;
    },
    client,
    env: () => ({
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
    }),
    async stop() {
      destroyClients();
      await current.stop();
    },
    async restart(downMs = 0) {
      // Clients stay usable: their pooled connections break and the SDK reconnects, as against a real outage.
      await current.stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      current = await launch();
    },
  };
}

