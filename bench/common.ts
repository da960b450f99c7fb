// What the benchmark scenarios share: the emulator and worker as processes of their own, the
// emulator's counters, and CPU seconds read from /proc.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess } from '../src/devserver/process.js';
import { packageRoot } from '../src/tools/tools.js';

export const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
export const CLI = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');

export interface Counters {
  requests: Record<string, number>;
  mediaBytes: number;
}

export interface RunningEmulator {
  readonly proc: ManagedProcess;
  readonly env: Record<string, string>;
  readonly url: string;
}

export async function startEmulator(dir: string, args: readonly string[]): Promise<RunningEmulator> {
  const logFile = join(dir, 'emulator.log');
  const proc = await ManagedProcess.start({
    name: 'emulator',
    command: process.execPath,
    args: [CLI, 'emulator', '--port', '0', '--json', ...args],
    env: { ...process.env, GPHOTOS_CONFIG_DIR: join(dir, 'config') },
    logFile,
  });
  for (let i = 0; i < 600; i++) {
    const line = readFileSync(logFile, 'utf8').split('\n').find((l) => l.startsWith('{'));
    if (line) {
      const info = JSON.parse(line) as { url: string; env: Record<string, string> };
      return { proc, env: info.env, url: info.url };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`emulator did not start; see ${logFile}`);
}

export async function waitForLine(file: string, text: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (readFileSync(file, 'utf8').includes(text)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`"${text}" did not appear in ${file}`);
}

export async function counters(url: string): Promise<Counters> {
  return (await (await fetch(`${url}/__emulator/counters`)).json()) as Counters;
}

export async function resetCounters(url: string): Promise<void> {
  await fetch(`${url}/__emulator/counters/reset`, { method: 'POST' });
}

/** CPU seconds (user + system) a process has used so far (Linux /proc, 100 ticks a second). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * User and system CPU seconds per kind of thread of a process so far (Linux /proc/<pid>/task): Node's main
 * thread, the other threads of Node (libuv's pool, workflow threads...), the Temporal core's and so on, by thread name.
 * A thread that ended before the reading is not counted.
 */
export function threadCpuSeconds(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Node names its main thread and its pool and worker threads alike: the main one is told apart by its id.
    const comm = (/\((.*)\) /.exec(stat)?.[1] ?? '?').replace(/[-_ ]?\d+$/, '');
    const name = tid === String(pid) ? 'main' : comm;
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    const [user, system] = [Number(fields[11]) / 100, Number(fields[12]) / 100];
    byName.set(`${name} user`, (byName.get(`${name} user`) ?? 0) + user);
    byName.set(`${name} system`, (byName.get(`${name} system`) ?? 0) + system);
  }
  return byName;
}

/** `after - before` per thread kind, largest first, as `name 1.23 s, ...`. */
export function threadCpuDelta(before: Map<string, number>, after: Map<string, number>): string {
  return [...after]
    .map(([name, seconds]) => [name, seconds - (before.get(name) ?? 0)] as const)
    .filter(([, seconds]) => seconds >= 0.01)
    .sort((a, b) => b[1] - a[1])
    .map(([name, seconds]) => `${name} ${seconds.toFixed(2)} s`)
    .join(', ');
}


/** A worker process on its own task queue (the time it takes to start is not part of any figure). */
export async function startWorker(dir: string, env: Record<string, string>, taskQueue: string, name = 'worker'): Promise<ManagedProcess> {
  const worker = await ManagedProcess.start({
    name,
    command: process.execPath,
    // BENCH_WORKER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the worker.
    args: [...(process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), CLI, 'worker', '--concurrency', String(CONCURRENCY + 2)],
    env: { ...process.env, ...env, GPHOTOS_TASK_QUEUE: taskQueue },
    logFile: join(dir, `${name}.log`),
  });
  await waitForLine(join(dir, `${name}.log`), 'worker polling');
  return worker;
}
