// `npm run bench`: gphotos-backup through Temporal side by side with a minimal parallel
// fetch-and-store script at the same concurrency, on the emulator, for many small photos and for
// one large video, into a local folder and into a real S3 server (versitygw; the plain script
// uploads there with the SDK's Upload at its defaults). Prints figures; asserts nothing about time.
// BENCH_SCENARIOS=small-photos,large-video-s3 runs only those. stored-million and
// stored-million-s3 (stored.ts) back up into a destination that already holds a million items;
// rerun-100k backs up a library of 100,000 photos and runs again over it unchanged.
// takeout-import and takeout-import-tgz (takeout.ts) import a Takeout of about 3 GB in two zip
// (tgz) parts into a folder, against `unzip` (`tar -xzf`) of the same parts to the same disk;
// takeout-many does the same with 100,000 small photos in one year folder.
//
// Each scenario starts its own emulator and worker as separate processes (so the worker's peak
// RSS is its own, read from /proc/<pid>/status VmHWM), against one headless Temporal dev server.
import { createWriteStream, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { Upload } from '@aws-sdk/lib-storage';
import { Client, Connection } from '@temporalio/client';
import type { DestinationSpec } from '../src/destination.js';
import { peakRssMb, rssMb } from '../src/devserver/process.js';
import { startS3Server, type S3DevServer } from '../src/devserver/s3server.js';
import { startTemporalDevServer } from '../src/devserver/temporal.js';
import { readAuthorizedUser, RefreshingAccessTokens } from '../src/google/credentials.js';
import type { ListMediaItemsResponse } from '../src/google/types.js';
import { backup } from '../src/workflows/backup.js';
import { DEFAULT_BACKUP_OPTIONS, type BackupInput } from '../src/workflows/messages.js';
import { rerunScenario, storedScenario } from './stored.js';
import { TAKEOUT_SCENARIOS, takeoutScenario } from './takeout.js';
import { CONCURRENCY, counters, cpuSeconds, resetCounters, startEmulator, startWorker, threadCpuDelta, threadCpuSeconds } from './common.js';

const SMALL_ITEMS = Number(process.env.BENCH_SMALL_ITEMS ?? 2000);
const VIDEO_BYTES = Number(process.env.BENCH_VIDEO_BYTES ?? 1024 ** 3);

/** Where both (a) and (b) store the bytes. */
interface Target {
  readonly name: 'disk' | 's3';
  destination(dir: string): DestinationSpec;
  readonly workerEnv: Record<string, string>;
  /** (b)'s way of storing one download. */
  store(dir: string, name: string, body: Readable): Promise<void>;
}

interface Scenario {
  readonly name: string;
  readonly emulatorArgs: readonly string[];
  readonly target: Target;
  /**
   * Back the library up once into another destination first, so that (a) is measured on a warm
   * worker: V8 compiles the per-item code once per process (about 0.7 s of CPU on background
   * threads here), which a backup of thousands of items pays once, not per item. The cold run's
   * CPU is printed too.
   */
  readonly warmUp?: boolean;
}

const diskTarget: Target = {
  name: 'disk',
  destination: (dir) => ({ kind: 'disk', path: join(dir, 'backup') }),
  workerEnv: {},
  async store(dir, name, body) {
    const out = join(dir, 'plain');
    mkdirSync(out, { recursive: true });
    await pipeline(body, createWriteStream(join(out, name)));
  },
};

function s3Target(server: S3DevServer): Target {
  const client = server.client();
  return {
    name: 's3',
    destination: (dir) => ({ kind: 's3', bucket: server.bucket, prefix: `${dir.split('/').at(-1) ?? 'bench'}/backup`, endpoint: server.endpoint }),
    workerEnv: server.env(),
    async store(dir, name, body) {
      await new Upload({ client, params: { Bucket: server.bucket, Key: `${dir.split('/').at(-1) ?? 'bench'}/plain/${name}`, Body: body } }).done();
    },
  };
}

interface Figures {
  items: number;
  bytes: number;
  seconds: number;
}

/** (b): list with the Library API, then fetch every baseUrl and store it, CONCURRENCY at a time. */
async function plainScript(env: Record<string, string>, configDir: string, store: (name: string, body: Readable) => Promise<void>): Promise<Figures> {
  const started = Date.now();
  const user = await readAuthorizedUser(join(configDir, 'accounts', 'emulator.json'));
  const tokens = new RefreshingAccessTokens(user, { tokenUrl: env.GOOGLE_OAUTH_TOKEN_URL ?? '' });
  const items: { url: string; name: string }[] = [];
  let pageToken: string | undefined;
  do {
    const query = new URLSearchParams({ pageSize: '100', ...(pageToken ? { pageToken } : {}) });
    const response = await fetch(`${env.GPHOTOS_LIBRARY_API_URL ?? ''}/v1/mediaItems?${query.toString()}`, { headers: { authorization: `Bearer ${await tokens.token()}` } });
    const page = (await response.json()) as ListMediaItemsResponse;
    for (const item of page.mediaItems ?? []) {
      if (!item.baseUrl) continue;
      const video = item.mediaMetadata?.video !== undefined;
      items.push({ url: `${item.baseUrl}=${video ? 'dv' : 'd'}`, name: `${items.length}` });
    }
    pageToken = page.nextPageToken;
  } while (pageToken);
  let next = 0;
  let bytes = 0;
  const token = await tokens.token();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < items.length; i = next++) {
        const item = items[i];
        if (!item) continue;
        const response = await fetch(item.url, { headers: { authorization: `Bearer ${token}` } });
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        await store(item.name, Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>));
        bytes += Number(response.headers.get('content-length') ?? 0);
      }
    }),
  );
  return { items: items.length, bytes, seconds: (Date.now() - started) / 1000 };
}

async function historyEvents(client: Client, workflowId: string): Promise<{ events: number; runs: number; maxPerRun: number }> {
  let events = 0;
  let runs = 0;
  let maxPerRun = 0;
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    events += execution.historyLength;
    maxPerRun = Math.max(maxPerRun, execution.historyLength);
    runs += 1;
  }
  return { events, runs, maxPerRun };
}

/** The warm-up backup (see Scenario.warmUp): its wall time and the worker's CPU seconds. */
async function coldRun(client: Client, taskQueue: string, workflowId: string, input: BackupInput, workerPid: number): Promise<{ seconds: number; cpu: number }> {
  const before = cpuSeconds(workerPid);
  const started = Date.now();
  await client.workflow.execute(backup, { taskQueue, workflowId: `${workflowId}/cold`, args: [input] });
  return { seconds: (Date.now() - started) / 1000, cpu: cpuSeconds(workerPid) - before };
}

function mbps(f: Figures): number {
  return f.bytes / 1e6 / f.seconds;
}

async function runScenario(scenario: Scenario, client: Client, address: string, root: string, serverPid: number): Promise<string[]> {
  const dir = join(root, scenario.name);
  mkdirSync(dir, { recursive: true });
  const emulator = await startEmulator(dir, scenario.emulatorArgs);
  const configDir = join(dir, 'config');
  const taskQueue = `bench-${scenario.name}`;
  const worker = await startWorker(dir, { ...emulator.env, ...scenario.target.workerEnv, TEMPORAL_ADDRESS: address, GPHOTOS_CONFIG_DIR: configDir }, taskQueue);
  try {
    const input: BackupInput = {
      account: { account: 'emulator' },
      destination: scenario.target.destination(dir),
      options: { ...DEFAULT_BACKUP_OPTIONS, concurrency: CONCURRENCY, processingWaitSeconds: 0 },
    };
    const workflowId = `bench/${scenario.name}`;
    const idleRss = rssMb(worker.pid);
    const idlePeak = peakRssMb(worker.pid);
    const cold = scenario.warmUp ? await coldRun(client, taskQueue, workflowId, { ...input, destination: scenario.target.destination(`${dir}-cold`) }, worker.pid) : undefined;
    // (a) gphotos-backup through Temporal
    await resetCounters(emulator.url);
    const cpuBefore = [worker.pid, emulator.proc.pid, serverPid].map(cpuSeconds);
    const threadsBefore = threadCpuSeconds(worker.pid);
    let started = Date.now();
    const summary = await client.workflow.execute(backup, { taskQueue, workflowId, args: [input] });
    const [workerCpu, emulatorCpu, serverCpu] = [worker.pid, emulator.proc.pid, serverPid].map((pid, i) => cpuSeconds(pid) - (cpuBefore[i] ?? 0));
    const workerThreads = threadCpuDelta(threadsBefore, threadCpuSeconds(worker.pid));
    const a: Figures = { items: summary.stored, bytes: summary.storedBytes, seconds: (Date.now() - started) / 1000 };
    const c = await counters(emulator.url);
    const apiCalls = ['library.list', 'library.search', 'library.batchGet', 'library.get'].reduce((n, op) => n + (c.requests[op] ?? 0), 0);
    const history = await historyEvents(client, workflowId);
    const rss = peakRssMb(worker.pid);
    // second run on the unchanged library
    await resetCounters(emulator.url);
    started = Date.now();
    await client.workflow.execute(backup, { taskQueue, workflowId: `${workflowId}/rerun`, args: [input] });
    const rerunSeconds = (Date.now() - started) / 1000;
    const rerun = await counters(emulator.url);
    // (b) the plain script
    await resetCounters(emulator.url);
    const plainCpu = process.cpuUsage();
    const b = await plainScript(emulator.env, configDir, (name, body) => scenario.target.store(dir, name, body));
    const { user, system } = process.cpuUsage(plainCpu);

    return [
      `${scenario.name}: ${a.items} items, ${(a.bytes / 1e6).toFixed(1)} MB, concurrency ${CONCURRENCY}, into ${scenario.target.name}`,
      `  (a) gphotos-backup via Temporal: ${a.seconds.toFixed(2)} s, ${(a.items / a.seconds).toFixed(1)} items/s, ${mbps(a).toFixed(1)} MB/s`,
      `  (b) ${scenario.target.name === 's3' ? 'plain fetch + SDK Upload script' : 'plain parallel fetch script'}: ${b.seconds.toFixed(2)} s, ${(b.items / b.seconds).toFixed(1)} items/s, ${mbps(b).toFixed(1)} MB/s`,
      `  ratio a/b: items/s ${((a.items / a.seconds) / (b.items / b.seconds)).toFixed(2)}, MB/s ${(mbps(a) / mbps(b)).toFixed(2)}`,
      `  CPU during (a): worker ${workerCpu?.toFixed(2)} s, emulator ${emulatorCpu?.toFixed(2)} s, Temporal server ${serverCpu?.toFixed(2)} s; (b) script ${((user + system) / 1e6).toFixed(2)} s`,
      `  worker CPU by thread: ${workerThreads}`,
      ...(cold ? [`  the warm-up run before (a), on the cold worker: ${cold.seconds.toFixed(2)} s, worker CPU ${cold.cpu.toFixed(2)} s`] : []),
      `  worker peak RSS: ${rss.toFixed(0)} MB (idle and polling before the run: ${idleRss.toFixed(0)} MB, peak until then ${idlePeak.toFixed(0)} MB)`,
      `  history: ${history.events} events in ${history.runs} run(s), ${((history.events / Math.max(1, a.items)) * 100).toFixed(1)} per 100 items, largest run ${history.maxPerRun} events`,
      `  Google requests per item: ${(apiCalls / Math.max(1, a.items)).toFixed(4)} API calls (${apiCalls}), ${((c.requests.media ?? 0) / Math.max(1, a.items)).toFixed(4)} media (${c.requests.media ?? 0}), ${c.requests['oauth.token'] ?? 0} token refreshes`,
      `  re-run on the unchanged library: ${rerun.requests.media ?? 0} media requests, ${rerunSeconds.toFixed(2)} s`,
    ];
  } finally {
    await worker.stop();
    await emulator.proc.stop();
  }
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'gphotos-bench-'));
  const wanted = process.env.BENCH_SCENARIOS?.split(',').filter(Boolean);
  const [server, s3Server] = await Promise.all([
    startTemporalDevServer({ stateDir: join(root, 'temporal'), headless: true }),
    startS3Server({ dataDir: join(root, 's3'), bucket: 'bench' }),
  ]);
  const client = new Client({ connection: await Connection.connect({ address: server.address }), namespace: 'default' });
  try {
    const small = ['--preset', 'large', '--items', String(SMALL_ITEMS)];
    const video = ['--preset', 'bigvideo', '--video-size', String(VIDEO_BYTES)];
    const s3 = s3Target(s3Server);
    const scenarios: Scenario[] = [
      { name: 'small-photos', emulatorArgs: small, target: diskTarget, warmUp: true },
      { name: 'large-video', emulatorArgs: video, target: diskTarget },
      { name: 'small-photos-s3', emulatorArgs: small, target: s3, warmUp: true },
      { name: 'large-video-s3', emulatorArgs: video, target: s3 },
    ].filter((scenario) => !wanted || wanted.includes(scenario.name));
    for (const scenario of scenarios) {
      console.error(`running ${scenario.name}...`);
      for (const line of await runScenario(scenario, client, server.address, root, server.pid)) console.log(line);
    }
    for (const [name, kind] of [['stored-million', 'disk'], ['stored-million-s3', 's3']] as const) {
      if (wanted && !wanted.includes(name)) continue;
      console.error(`running ${name}...`);
      for (const line of await storedScenario(kind, client, server.address, root, s3Server)) console.log(line);
    }
    if (!wanted || wanted.includes('rerun-100k')) {
      console.error('running rerun-100k...');
      for (const line of await rerunScenario(client, server.address, root)) console.log(line);
    }
    for (const scenario of TAKEOUT_SCENARIOS) {
      if (wanted && !wanted.includes(scenario.name)) continue;
      console.error(`running ${scenario.name}...`);
      for (const line of await takeoutScenario(scenario, client, server.address, root, server.pid)) console.log(line);
    }
  } finally {
    await client.connection.close();
    await Promise.all([server.stop(), s3Server.stop()]);
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
