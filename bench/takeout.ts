// Bench scenarios `takeout-import` (zip parts) and `takeout-import-tgz` (tgz parts): a Takeout of
// BENCH_TAKEOUT_ITEMS bulk photos (default 1500) of BENCH_TAKEOUT_ITEM_BYTES each (default 2 MiB;
// about 3 GB in all, plus the fixture's few dozen small items with every naming quirk) in two
// parts, media stored (not deflated: large media barely compress), written into a folder next to
// the destinations (one filesystem, under os.tmpdir()). `takeout-many` is the same with many
// small photos, all in one year folder: BENCH_TAKEOUT_MANY_ITEMS (default 100,000) of
// BENCH_TAKEOUT_MANY_BYTES (default 8 KiB), in zip parts. Then, on that same disk:
// (b) the plain baseline: `unzip -q -o PART -d DIR` (tgz: `tar -xzf PART -C DIR`) for each part,
//     one after the other, then `sync`;
// (a) gphotos-backup: the importTakeout workflow on a worker process of its own (its peak RSS read
//     from /proc/<pid>/status VmHWM) into a fresh disk destination, from start to result; then a
//     re-import of the same parts, which must store nothing.
// MB/s counts, for both, the bytes of the media files an import must store (each once): the
// figure is bytes / 1e6 / seconds. BENCH_TAKEOUT_CONCURRENCY sets the parts (a) imports at once
// (default 2, the workflow's default; unzip in (b) takes one part after the other either way).
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { peakRssMb, rssMb } from '../src/devserver/process.js';
import { importTakeout } from '../src/workflows/import-takeout.js';
import { DEFAULT_TAKEOUT_OPTIONS, takeoutProgressQuery, type TakeoutInput, type TakeoutStatus, type TakeoutSummary } from '../src/workflows/takeout-messages.js';
import { writeTakeout, type FixtureFormat } from '../test/harness/takeout-fixture.js';
import { cpuSeconds, startWorker, threadCpuDelta, threadCpuSeconds } from './common.js';

export interface TakeoutScenario {
  readonly name: string;
  readonly format: FixtureFormat;
  /** Bulk photos, and the bytes of each. */
  readonly items: number;
  readonly itemBytes: number;
}

export const TAKEOUT_SCENARIOS: readonly TakeoutScenario[] = [
  { name: 'takeout-import', format: 'zip', items: Number(process.env.BENCH_TAKEOUT_ITEMS ?? 1500), itemBytes: Number(process.env.BENCH_TAKEOUT_ITEM_BYTES ?? 2 * 1024 ** 2) },
  { name: 'takeout-import-tgz', format: 'tgz', items: Number(process.env.BENCH_TAKEOUT_ITEMS ?? 1500), itemBytes: Number(process.env.BENCH_TAKEOUT_ITEM_BYTES ?? 2 * 1024 ** 2) },
  { name: 'takeout-many', format: 'zip', items: Number(process.env.BENCH_TAKEOUT_MANY_ITEMS ?? 100_000), itemBytes: Number(process.env.BENCH_TAKEOUT_MANY_BYTES ?? 8 * 1024) },
];
const PARTS = 2;
/** Parts (a) imports at once (the workflow's option; default its default, 2). */
const CONCURRENCY = Number(process.env.BENCH_TAKEOUT_CONCURRENCY ?? DEFAULT_TAKEOUT_OPTIONS.concurrency);
/** How often (a) asks the workflow for its progress, to time its phases. */
const POLL_MS = 500;

function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(command, args, { maxBuffer: 1 << 24 }, (error, stdout, stderr) => (error ? reject(new Error(`${command} ${args.join(' ')}: ${error.message}${stderr ? `\n${stderr}` : ''}`)) : resolve(stdout))),
  );
}

/** `0m1.234s` (bash's `times`) in seconds. */
function bashSeconds(text: string): number {
  const match = /(\d+)m([\d.]+)s/.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : Number.NaN;
}

/** Runs `script` in bash with `args` as $1...; returns the user + system CPU seconds of its children (bash's `times`). */
async function childCpu(script: string, args: readonly string[]): Promise<number> {
  const out = await run('bash', ['-c', `${script}\ntimes`, 'bash', ...args]);
  const children = out.trim().split('\n').at(-1) ?? '';
  return children.split(/\s+/).reduce((sum, field) => sum + bashSeconds(field), 0);
}

interface Plain {
  seconds: number;
  syncSeconds: number;
  cpu: number;
}

/** (b): each part extracted by the plain tool, one after the other, then `sync`. */
async function plainExtract(format: FixtureFormat, parts: readonly string[], out: string): Promise<Plain> {
  const script = format === 'zip' ? 'unzip -q -o "$1" -d "$2"' : 'mkdir -p "$2" && tar -xzf "$1" -C "$2"';
  const started = Date.now();
  let cpu = 0;
  for (const part of parts) cpu += await childCpu(script, [part, out]);
  const syncStarted = Date.now();
  await run('sync', []);
  const ended = Date.now();
  return { seconds: (ended - started) / 1000, syncSeconds: (ended - syncStarted) / 1000, cpu };
}

interface Imported {
  seconds: number;
  summary: TakeoutSummary;
  /** When each status was first seen (seconds from the start), by a progress query every POLL_MS. */
  phases: Map<TakeoutStatus, number>;
  cpu: number;
  threads: string;
}

/** (a): the importTakeout workflow from start to result, on the worker `pid`. */
async function timedImport(client: Client, taskQueue: string, workflowId: string, input: TakeoutInput, pid: number): Promise<Imported> {
  const cpuBefore = cpuSeconds(pid);
  const threadsBefore = threadCpuSeconds(pid);
  const started = Date.now();
  const handle = await client.workflow.start(importTakeout, { taskQueue, workflowId, args: [input] });
  const phases = new Map<TakeoutStatus, number>();
  let done = false;
  const result = handle.result().finally(() => (done = true));
  const poll = (async () => {
    while (!done) {
      try {
        const progress = await handle.query(takeoutProgressQuery);
        if (!phases.has(progress.status)) phases.set(progress.status, (Date.now() - started) / 1000);
      } catch {
        // not yet answerable, or already closed
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();
  const summary = await result;
  const seconds = (Date.now() - started) / 1000;
  await poll;
  return { seconds, summary, phases, cpu: cpuSeconds(pid) - cpuBefore, threads: threadCpuDelta(threadsBefore, threadCpuSeconds(pid)) };
}

/** `scan 1.2 s, plan 0.3 s, ...`: the time between the first sightings of each status (resolution POLL_MS). */
function phaseLine(phases: Map<TakeoutStatus, number>, total: number): string {
  const order: TakeoutStatus[] = ['scanning', 'planning', 'importing', 'finishing'];
  const seen = order.filter((status) => phases.has(status));
  return seen
    .map((status, i) => {
      const next = seen[i + 1];
      const end = next === undefined ? (phases.get('done') ?? total) : (phases.get(next) ?? total);
      return `${status} ${(end - (phases.get(status) ?? 0)).toFixed(1)} s`;
    })
    .join(', ');
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;
const mbps = (bytes: number, seconds: number) => bytes / 1e6 / seconds;

export async function takeoutScenario(scenario: TakeoutScenario, client: Client, address: string, root: string, serverPid: number): Promise<string[]> {
  const { name, format, items, itemBytes } = scenario;
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  try {
    // The archive (not part of any figure), then its writeback, so that it does not land in (b).
    const started = Date.now();
    const fixture = await writeTakeout(join(dir, 'archive'), { format, parts: PARTS, bulk: { count: items, bytes: itemBytes }, compressMedia: false, ...(format === 'tgz' ? { gzipLevel: 1 } : {}) });
    await run('sync', []);
    const writeSeconds = (Date.now() - started) / 1000;
    const mediaBytes = fixture.items.reduce((sum, item) => sum + item.size, 0);
    const entryBytes = fixture.entries.reduce((sum, entry) => sum + entry.size, 0);

    // (b) the plain tool, first: the archive was just written, so it is in the page cache for both.
    const b = await plainExtract(format, fixture.parts, join(dir, 'plain'));

    // (a) gphotos-backup through Temporal, on a worker process of its own.
    const taskQueue = `bench-${name}`;
    const worker = await startWorker(dir, { TEMPORAL_ADDRESS: address, GPHOTOS_CONFIG_DIR: join(dir, 'config'), GPHOTOS_CACHE_DIR: join(dir, 'cache') }, taskQueue);
    try {
      const idleRss = rssMb(worker.pid);
      const input: TakeoutInput = { destination: { kind: 'disk', path: join(dir, 'backup') }, parts: fixture.parts, options: { ...DEFAULT_TAKEOUT_OPTIONS, concurrency: CONCURRENCY } };
      const serverBefore = cpuSeconds(serverPid);
      const a = await timedImport(client, taskQueue, `bench/${name}/1`, input, worker.pid);
      const serverCpu = cpuSeconds(serverPid) - serverBefore;
      const peak = peakRssMb(worker.pid);
      const again = await timedImport(client, taskQueue, `bench/${name}/2`, input, worker.pid);
      const peakAfter = peakRssMb(worker.pid);

      const aRate = mbps(mediaBytes, a.seconds);
      const bRate = mbps(mediaBytes, b.seconds);
      const perSecond = (seconds: number) => (fixture.items.length / seconds).toFixed(0);
      const tool = format === 'zip' ? 'unzip' : 'tar -xzf';
      const s = a.summary;
      const complete = s.stored === fixture.items.length && s.storedBytes === mediaBytes && s.failed === 0;
      return [
        `${name}: (a) ${gb(mediaBytes)} in ${a.seconds.toFixed(1)} s = ${aRate.toFixed(0)} MB/s (${perSecond(a.seconds)} items/s), worker peak RSS ${peak.toFixed(0)} MB, CPU ${a.cpu.toFixed(1)} s; (b) ${tool} ${gb(mediaBytes)} in ${b.seconds.toFixed(1)} s = ${bRate.toFixed(0)} MB/s (${perSecond(b.seconds)} items/s); ratio (a)/(b) ${(aRate / bRate).toFixed(2)}`,
        `  the export: ${PARTS} ${format} parts, ${gb(fixture.bytes)}, ${fixture.items.length} media files to store (${items} of ${itemBytes} bytes, media not deflated${format === 'tgz' ? ', gzip level 1' : ''}); written and synced in ${writeSeconds.toFixed(1)} s (not part of the figures), under ${dir}`,
        `  bytes counted, for (a) and (b) alike: the ${fixture.items.length} media files an import must store, each once: ${mediaBytes} bytes (MB = 1e6 bytes); (b) writes every entry (${entryBytes} bytes: album copies, Trash, JSON too), (a) the media plus a JSON and an XMP sidecar each`,
        `  (a) gphotos-backup importTakeout via Temporal, ${CONCURRENCY} part${CONCURRENCY === 1 ? '' : 's'} at once, start to result: ${a.seconds.toFixed(1)} s (${phaseLine(a.phases, a.seconds)}); ${s.stored} stored (${s.storedBytes} bytes), ${s.skipped} already there, ${s.failed} failed${complete ? '' : ' — NOT the whole export'}`,
        `  (b) ${format === 'zip' ? 'unzip -q -o PART -d DIR' : 'tar -xzf PART -C DIR'} for each part in turn, then sync: ${b.seconds.toFixed(1)} s (sync ${b.syncSeconds.toFixed(1)} s of it), ${tool} CPU ${b.cpu.toFixed(1)} s`,
        `  ratio (a)/(b) MB/s ${(aRate / bRate).toFixed(2)} (target ≥ 0.8); worker peak RSS ${peak.toFixed(0)} MB (target ≤ 300 MB; idle and polling before: ${idleRss.toFixed(0)} MB)`,
        `  CPU during (a): worker ${a.cpu.toFixed(1)} s over ${a.seconds.toFixed(1)} s of wall time (${((a.cpu / a.seconds) * 100).toFixed(0)}% of one core), Temporal server ${serverCpu.toFixed(1)} s`,
        `  worker CPU by thread: ${a.threads}`,
        `  re-import of the same parts: ${again.seconds.toFixed(1)} s (${phaseLine(again.phases, again.seconds)}), ${again.summary.stored} stored, ${again.summary.skipped} already there, worker CPU ${again.cpu.toFixed(1)} s; worker peak RSS after it ${peakAfter.toFixed(0)} MB`,
        `  included: (a) every file and directory fsynced by the sink, the scan, plan and albums index, Temporal round trips; (b) the final sync. Not included: writing the archive, starting the worker; caches are not dropped (no root), so both read the archive from the page cache`,
      ];
    } finally {
      await worker.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
