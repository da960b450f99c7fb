// Bench scenarios `stored-million` (a folder) and `stored-million-s3` (a bucket): a destination
// that already holds BENCH_STORED items (default 1,000,000; records written directly, as
// manifest.jsonl or as segments of 50), next to one that holds only the 300 photos of the
// emulator's library. Prints the worker's peak RSS over the whole scenario; the time of a
// backup of 300 new photos into each; what `verify` costs (index built from nothing, a walk of
// every record); and for S3 the compaction and what opening the manifest costs a new machine.
import { execFile } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import type { DestinationSpec } from '../src/destination.js';
import { peakRssMb } from '../src/devserver/process.js';
import type { S3DevServer } from '../src/devserver/s3server.js';
import { S3Manifest } from '../src/manifest/s3-manifest.js';
import { backup } from '../src/workflows/backup.js';
import { DEFAULT_BACKUP_OPTIONS } from '../src/workflows/messages.js';
import { CLI, CONCURRENCY, counters, resetCounters, startEmulator, startWorker } from './common.js';
import { syntheticLines } from './synthetic.js';

const STORED = Number(process.env.BENCH_STORED ?? 1_000_000);
const NEW_ITEMS = 300;

/** Writes the records as `manifest.jsonl`, a few MB at a time. */
async function writeDiskRecords(path: string): Promise<void> {
  mkdirSync(join(path, '.gphotos-backup'), { recursive: true });
  const out = createWriteStream(join(path, '.gphotos-backup', 'manifest.jsonl'));
  for (let i = 0; i < STORED; i += 10_000) if (!out.write(syntheticLines(i, Math.min(STORED, i + 10_000)))) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

/** Writes the records as segments of 50, as backups write them (32 PUTs in flight). */
async function writeS3Records(server: S3DevServer, prefix: string): Promise<void> {
  const client = server.client();
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      for (let i = next; i < STORED; i = next) {
        next += 50;
        const key = `${prefix}/.gphotos-backup/manifest/20200101T000000000Z-${String(i).padStart(9, '0')}.jsonl`;
        await client.send(new PutObjectCommand({ Bucket: server.bucket, Key: key, Body: syntheticLines(i, Math.min(STORED, i + 50)) }));
      }
    }),
  );
}

/** `gphotos-backup verify` on a sample of one item in a million: the index is built and every record walked. */
async function verifyFigures(dir: string, dest: DestinationSpec, env: Record<string, string>): Promise<{ seconds: number; peakMb: number }> {
  const peakFile = join(dir, 'verify-peak');
  const destArgs = dest.kind === 'disk' ? ['--dest', dest.path] : ['--dest', `s3://${dest.bucket}/${dest.prefix}`, ...(dest.endpoint ? ['--s3-endpoint', dest.endpoint] : [])];
  const started = Date.now();
  await new Promise<void>((resolve) =>
    execFile(process.execPath, ['-r', join(__dirname, 'peak-at-exit.js'), CLI, 'verify', ...destArgs, '--sample', '1/1000000', '--json'], { env: { ...process.env, ...env, BENCH_PEAK_FILE: peakFile }, maxBuffer: 1 << 26 }, () => resolve()),
  );
  return { seconds: (Date.now() - started) / 1000, peakMb: Number(readFileSync(peakFile, 'utf8')) };
}

/** What a machine with an empty cache spends to open the S3 manifest: requests and seconds. */
async function freshOpen(server: S3DevServer, prefix: string, cache: string): Promise<string> {
  const previous = process.env.GPHOTOS_CACHE_DIR;
  process.env.GPHOTOS_CACHE_DIR = cache;
  const client = server.client();
  const sent: Record<string, number> = {};
  client.middlewareStack.add((next, context) => (args) => ((sent[context.commandName ?? '?'] = (sent[context.commandName ?? '?'] ?? 0) + 1), next(args)), { step: 'initialize' });
  const started = Date.now();
  const manifest = new S3Manifest(client, server.bucket, prefix, `bench|${prefix}`);
  process.env.GPHOTOS_CACHE_DIR = previous;
  await manifest.refresh();
  const seconds = (Date.now() - started) / 1000;
  const size = manifest.size;
  manifest.close();
  return `${size} records in ${seconds.toFixed(1)} s with ${sent.GetObjectCommand ?? 0} GETs and ${sent.ListObjectsV2Command ?? 0} LISTs`;
}

export async function storedScenario(kind: 'disk' | 's3', client: Client, address: string, root: string, s3: S3DevServer): Promise<string[]> {
  const dir = join(root, `stored-${kind}`);
  mkdirSync(dir, { recursive: true });
  const emulator = await startEmulator(dir, ['--preset', 'large', '--items', String(NEW_ITEMS)]);
  const env = { ...emulator.env, ...(kind === 's3' ? s3.env() : {}), TEMPORAL_ADDRESS: address, GPHOTOS_CONFIG_DIR: join(dir, 'config'), GPHOTOS_CACHE_DIR: join(dir, 'cache') };
  const taskQueue = `bench-stored-${kind}`;
  let worker = await startWorker(dir, env, taskQueue);
  const spec = (name: string): DestinationSpec => (kind === 'disk' ? { kind, path: join(dir, name) } : { kind, bucket: s3.bucket, prefix: `stored/${name}`, endpoint: s3.endpoint });
  let runs = 0;
  const run = async (destination: DestinationSpec) => {
    const started = Date.now();
    const summary = await client.workflow.execute(backup, {
      taskQueue,
      workflowId: `bench/stored-${kind}/${(runs += 1)}`,
      args: [{ account: { account: 'emulator' }, destination, options: { ...DEFAULT_BACKUP_OPTIONS, concurrency: CONCURRENCY, processingWaitSeconds: 0 } }],
    });
    return { seconds: (Date.now() - started) / 1000, stored: summary.stored, skipped: summary.skipped };
  };
  try {
    const small = spec('small');
    const big = spec('big');
    const started = Date.now();
    if (big.kind === 'disk') await writeDiskRecords(big.path);
    else await writeS3Records(s3, big.prefix);
    const written = (Date.now() - started) / 1000;
    const verify = await verifyFigures(dir, big, env);
    const first = [await run(small), await run(big)];
    const firstPeak = peakRssMb(worker.pid);
    // A new worker process for the nightly run that follows (a process's heap, once grown, stays).
    await worker.stop();
    worker = await startWorker(dir, env, taskQueue, 'worker-2');
    await fetch(`${emulator.url}/__emulator/items`, { method: 'POST', body: JSON.stringify({ count: NEW_ITEMS }), headers: { 'content-type': 'application/json' } });
    await resetCounters(emulator.url);
    const intoSmall = await run(small);
    const intoBig = await run(big);
    const media = (await counters(emulator.url)).requests.media ?? 0;
    const lines = [
      `stored-million${kind === 's3' ? '-s3' : ''}: ${NEW_ITEMS} new photos into a destination of ${STORED} items and into one of ${NEW_ITEMS}, concurrency ${CONCURRENCY}, ${kind}`,
      `  records written directly (${kind === 'disk' ? 'manifest.jsonl' : `${Math.ceil(STORED / 50)} segments`}): ${written.toFixed(1)} s`,
      `  verify --sample 1/1000000 (index built from nothing, every record walked): ${verify.seconds.toFixed(1)} s, peak RSS ${verify.peakMb.toFixed(0)} MB`,
      `  first backup (${NEW_ITEMS} photos): into ${NEW_ITEMS} items ${first[0]?.seconds.toFixed(2)} s, into ${STORED} items ${first[1]?.seconds.toFixed(2)} s${kind === 's3' ? ' (its sweep merges the segments into a snapshot)' : ''}`,
      `  ${NEW_ITEMS} more new photos: into ${NEW_ITEMS} items ${intoSmall.seconds.toFixed(2)} s (${intoSmall.stored} stored, ${intoSmall.skipped} already there), into ${STORED} items ${intoBig.seconds.toFixed(2)} s (${intoBig.stored} stored, ${intoBig.skipped} already there); ratio ${(intoBig.seconds / intoSmall.seconds).toFixed(2)}; ${media} media requests in all`,
      `  worker peak RSS: ${firstPeak.toFixed(0)} MB over the verify and the first backups, ${peakRssMb(worker.pid).toFixed(0)} MB in a new worker backing up ${NEW_ITEMS} more into each`,
    ];
    if (big.kind === 's3') lines.push(`  a new machine opens the manifest: ${await freshOpen(s3, big.prefix, join(dir, 'fresh-cache'))}`);
    return lines;
  } finally {
    await worker.stop();
    await emulator.proc.stop();
  }
}

const RERUN_ITEMS = Number(process.env.BENCH_RERUN_ITEMS ?? 100_000);

/** Bench scenario `rerun-100k`: a backup of a library of BENCH_RERUN_ITEMS photos (default 100,000), then a re-run over it unchanged. */
export async function rerunScenario(client: Client, address: string, root: string): Promise<string[]> {
  const dir = join(root, 'rerun');
  mkdirSync(dir, { recursive: true });
  // Above Google's 75,000 media requests a day, which a library of 100,000 would reach.
  const emulator = await startEmulator(dir, ['--preset', 'large', '--items', String(RERUN_ITEMS), '--set', `quota.libraryMedia=${RERUN_ITEMS * 2}`]);
  const env = { ...emulator.env, TEMPORAL_ADDRESS: address, GPHOTOS_CONFIG_DIR: join(dir, 'config'), GPHOTOS_CACHE_DIR: join(dir, 'cache') };
  const worker = await startWorker(dir, env, 'bench-rerun');
  const run = async (workflowId: string) => {
    await resetCounters(emulator.url);
    const started = Date.now();
    const summary = await client.workflow.execute(backup, {
      taskQueue: 'bench-rerun',
      workflowId,
      args: [{ account: { account: 'emulator' }, destination: { kind: 'disk', path: join(dir, 'backup') }, options: { ...DEFAULT_BACKUP_OPTIONS, concurrency: CONCURRENCY, processingWaitSeconds: 0 } }],
    });
    return { seconds: (Date.now() - started) / 1000, summary, media: (await counters(emulator.url)).requests.media ?? 0 };
  };
  try {
    const first = await run('bench/rerun/1');
    const again = await run('bench/rerun/2');
    return [
      `rerun-100k: a library of ${RERUN_ITEMS} photos, concurrency ${CONCURRENCY}, disk`,
      `  first run: ${first.seconds.toFixed(1)} s, ${first.summary.stored} stored, ${first.media} media requests`,
      `  re-run over the unchanged library: ${again.seconds.toFixed(1)} s (${(again.seconds / first.seconds).toFixed(3)} of the first), ${again.summary.skipped} already there, ${again.media} media requests`,
      `  worker peak RSS: ${peakRssMb(worker.pid).toFixed(0)} MB`,
    ];
  } finally {
    await worker.stop();
    await emulator.proc.stop();
  }
}
