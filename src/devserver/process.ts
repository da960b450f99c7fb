// Managed child processes for local servers (Temporal dev server, S3 server): output appended to a
// log file, readiness polling, graceful stop, and a process-wide registry that kills every child
// still running when this process exits, is interrupted (SIGINT/SIGTERM/SIGHUP: graceful stop,
// then the signal is re-raised unless the app has its own handler) or dies of an uncaught
// exception, and then runs registered shutdown hooks (onShutdown).
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, readSync, fstatSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { constants } from 'node:os';
import { dirname } from 'node:path';

export interface ManagedProcessOptions {
  /** Short name used in messages, e.g. 'temporal' or 'versitygw'. */
  name: string;
  command: string;
  args: readonly string[];
  /** stdout and stderr are appended here (the directory is created). */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * Keep Node's event loop alive while the child runs (default false: a forgotten child never
   * keeps a test process from exiting; the exit hook then kills it).
   */
  ref?: boolean;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One readiness condition; `waitUntilReady` polls each in order until it holds. */
export type ReadinessCheck =
  | { kind: 'tcp'; port: number; host?: string }
  | { kind: 'http'; url: string; accept?: (status: number) => boolean }
  /** Resolves when ready; throws (with a useful message) when not yet. */
  | { kind: 'probe'; description: string; probe: () => Promise<void> };

export interface WaitUntilReadyOptions {
  /** Overall deadline (default 60 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 200 ms). */
  intervalMs?: number;
}

/** Thrown when the process exits before it was ready; carries the tail of its log. */
export class ProcessExitedError extends Error {
  constructor(
    message: string,
    readonly exit: ExitInfo,
    readonly logTail: string,
  ) {
    super(message);
    this.name = 'ProcessExitedError';
  }
}

const LOG_TAIL_LINES = 40;
const OK: unique symbol = Symbol('ok');
const EXITED: unique symbol = Symbol('exited');
const TIMED_OUT: unique symbol = Symbol('timed out');
const running = new Set<ManagedProcess>();

export class ManagedProcess {
  private exitInfo: ExitInfo | undefined;
  private readonly exitPromise: Promise<ExitInfo>;

  private constructor(
    readonly options: ManagedProcessOptions,
    private readonly child: ChildProcess,
    readonly pid: number,
  ) {
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        running.delete(this);
        resolve(this.exitInfo);
      });
    });
  }

  /** Spawns the process (in its own process group) and resolves once it has started. */
  static async start(options: ManagedProcessOptions): Promise<ManagedProcess> {
    mkdirSync(dirname(options.logFile), { recursive: true });
    appendFileSync(
      options.logFile,
      `\n=== ${new Date().toISOString()} starting ${options.name}: ${options.command} ${options.args.join(' ')}\n`,
    );
    const fd = openSync(options.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(options.command, options.args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ['ignore', fd, fd],
        detached: true, // own process group: stop() signals the whole group
      });
    } finally {
      closeSync(fd);
    }
    installExitHooks();
    // Register at once (pid is known synchronously when the spawn succeeded), so a signal that
    // arrives before the 'spawn' event still reaches this child.
    const proc = child.pid === undefined ? undefined : new ManagedProcess(options, child, child.pid);
    if (proc) running.add(proc);
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', (err) => reject(new Error(`could not start ${options.name} (${options.command}): ${err.message}`)));
      });
    } catch (err) {
      if (proc) running.delete(proc);
      throw err;
    }
    if (!proc) throw new Error(`could not start ${options.name}: no pid`);
    if (!options.ref) child.unref();
    return proc;
  }

  get name(): string {
    return this.options.name;
  }

  get logFile(): string {
    return this.options.logFile;
  }

  /** True until the process has exited. */
  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Resolves when the process exits (by itself or through stop()). */
  get exited(): Promise<ExitInfo> {
    return this.exitPromise;
  }

  /** The last `lines` lines of the log file (reads at most the last 64 KiB). */
  logTail(lines = LOG_TAIL_LINES): string {
    return readLogTail(this.options.logFile, lines);
  }

  /**
   * Polls the checks in order until each holds. Rejects with ProcessExitedError (including the
   * log tail) if the process exits first, or with a timeout error (also with the log tail).
   */
  async waitUntilReady(checks: ReadinessCheck | readonly ReadinessCheck[], options: WaitUntilReadyOptions = {}): Promise<void> {
    const list: readonly ReadinessCheck[] = Array.isArray(checks) ? checks : [checks as ReadinessCheck];
    const timeoutMs = options.timeoutMs ?? 60_000;
    const intervalMs = options.intervalMs ?? 200;
    const deadline = Date.now() + timeoutMs;
    const exitedMarker = this.exitPromise.then(() => EXITED);
    for (const check of list) {
      let lastError = 'not attempted';
      for (;;) {
        if (!this.running) throw this.exitedError(`while waiting for ${describeCheck(check)}`);
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
          throw new Error(
            `${this.name} was not ready after ${timeoutMs} ms: ${describeCheck(check)} failed (${lastError}). ` +
              `Last lines of ${this.logFile}:\n${this.logTail()}`,
          );
        }
        const attempt = runCheck(check, Math.min(remaining, 5_000)).then(
          () => OK,
          (err: unknown) => errorMessage(err),
        );
        const overall = delay(remaining);
        const outcome = await Promise.race([attempt, exitedMarker, overall.promise.then(() => TIMED_OUT)]);
        overall.cancel();
        if (outcome === OK) break;
        if (outcome === EXITED) throw this.exitedError(`while waiting for ${describeCheck(check)}`);
        if (typeof outcome === 'string') lastError = outcome;
        const pause = delay(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
        await Promise.race([pause.promise, exitedMarker]);
        pause.cancel();
      }
    }
    // A check can pass against something else on the port while this process is failing to bind it.
    if (!this.running) throw this.exitedError('right after its readiness checks passed');
  }

  /**
   * Stops the process: SIGTERM to its process group, SIGKILL after `graceMs` (default 10 s).
   * Resolves with the exit status once it has exited; calling it again is harmless.
   */
  async stop(options: { graceMs?: number } = {}): Promise<ExitInfo> {
    if (this.exitInfo) return this.exitInfo;
    this.child.ref(); // keep the loop alive until the exit event arrives
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), options.graceMs ?? 10_000);
    try {
      return await this.exitPromise;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a signal to the process group (falling back to the process) while it still runs. */
  signal(signal: NodeJS.Signals): void {
    if (this.exitInfo || this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      try {
        this.child.kill(signal);
      } catch {
        // already gone
      }
    }
  }

  private exitedError(context: string): ProcessExitedError {
    const exit = this.exitInfo ?? { code: null, signal: null };
    const status = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
    const tail = this.logTail();
    return new ProcessExitedError(
      `${this.name} exited (${status}) ${context}. Last lines of ${this.logFile}:\n${tail}`,
      exit,
      tail,
    );
  }
}

/** A timer whose pending timeout can be cleared (so no stray timer holds the event loop open). */
function delay(ms: number): { promise: Promise<void>; cancel: () => void } {
  let handle: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    handle = setTimeout(resolve, ms);
  });
  return { promise, cancel: () => clearTimeout(handle) };
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return code ? `${code} ${err.message}` : `${err.message}${cause}`;
  }
  return String(err);
}

function describeCheck(check: ReadinessCheck): string {
  switch (check.kind) {
    case 'tcp':
      return `TCP ${check.host ?? '127.0.0.1'}:${check.port}`;
    case 'http':
      return `HTTP GET ${check.url}`;
    case 'probe':
      return check.description;
  }
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<void> {
  switch (check.kind) {
    case 'tcp':
      return tcpConnects(check.host ?? '127.0.0.1', check.port, timeoutMs);
    case 'http': {
      const res = await fetch(check.url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
      await res.body?.cancel();
      const accept = check.accept ?? ((status: number) => status >= 200 && status < 300);
      if (!accept(res.status)) throw new Error(`status ${res.status}`);
      return;
    }
    case 'probe':
      return check.probe();
  }
}

function tcpConnects(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(timeoutMs);
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error('connect timed out'));
    });
    socket.once('error', (err) => {
      socket.destroy();
      reject(err);
    });
  });
}

/**
 * The last `lines` lines of the log (from its last 64 KiB). A crash's cause is usually at the top
 * of a long stack trace, so the first lines that read like one (a Go panic, a fatal or error
 * level message) are put in front of the tail when the tail does not hold them.
 */
function readLogTail(file: string, lines: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    const all = buf.toString('utf8').split('\n');
    if (all.at(-1) === '') all.pop();
    const tail = all.slice(-lines);
    const causes = all
      .slice(0, -lines)
      .filter((line) => /^panic:|^fatal error:|"level":"(fatal|error|panic)"|\blevel=(fatal|error)\b|address already in use/i.test(line))
      .slice(0, 5);
    return [...(causes.length > 0 ? [...causes, '...'] : []), ...tail].join('\n');
  } catch (err) {
    return `(could not read ${file}: ${errorMessage(err)})`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

// Ports are drawn at random from below Linux's ephemeral range (32768-60999 by default). The
// kernel hands ephemeral ports to outgoing connections and to servers that bind port 0 (the
// Temporal dev server does so for its internal services), so a port picked there and released
// could be taken again before our server binds it.
const PORT_RANGE = { low: 20_000, high: 32_000 };

/** A TCP port that was free on `host` a moment ago, from below the ephemeral range. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = PORT_RANGE.low + Math.floor(Math.random() * (PORT_RANGE.high - PORT_RANGE.low));
    if (await canBind(port, host)) return port;
  }
  throw new Error(`no free port found on ${host} between ${PORT_RANGE.low} and ${PORT_RANGE.high}`);
}

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * Throws unless `port` can be bound on `host` right now. Run it before starting a server on a
 * fixed port: otherwise readiness checks could succeed against whatever already listens there.
 */
export function assertPortFree(port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`port ${host}:${port} is not available (${err.code ?? err.message}); is another server already running there?`)),
    );
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** The managed processes still running in this Node process. */
export function runningProcesses(): ManagedProcess[] {
  return [...running];
}

/** Sends `signal` (default SIGKILL) to every still-running child at once; synchronous. */
export function killAllSync(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const proc of running) proc.signal(signal);
}

/** Stops every still-running child (SIGTERM, then SIGKILL after the grace period). */
export async function stopAll(graceMs = 5_000): Promise<void> {
  await Promise.all([...running].map((proc) => proc.stop({ graceMs })));
}

const shutdownHooks: Array<() => void> = [];
let shutdownHooksRan = false;

/**
 * Registers a synchronous cleanup (e.g. removing temp dirs) that runs once, after the children
 * were signalled, when this process exits, or before it re-raises a terminating signal (a death
 * by signal skips 'exit' handlers).
 */
export function onShutdown(hook: () => void): void {
  shutdownHooks.push(hook);
  installExitHooks();
}

function runShutdownHooks(): void {
  if (shutdownHooksRan) return;
  shutdownHooksRan = true;
  for (const hook of shutdownHooks) {
    try {
      hook();
    } catch {
      // best effort: the other hooks still run
    }
  }
}

let hooksInstalled = false;
let stoppingForSignal = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' handlers must be synchronous: no time for a graceful stop, so SIGKILL.
  process.on('exit', () => {
    killAllSync('SIGKILL');
    runShutdownHooks();
  });
  // The monitor variant observes uncaught exceptions without changing how the process dies.
  // Children are killed even if an 'uncaughtException' listener (node:test has one) keeps the
  // process alive: a crash inside such a listener exits without 'exit' handlers. Shutdown hooks
  // (temp dir removal) only run here when nothing handles the exception, i.e. the process dies.
  process.on('uncaughtExceptionMonitor', () => {
    killAllSync('SIGKILL');
    if (process.listenerCount('uncaughtException') === 0) runShutdownHooks();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      if (stoppingForSignal) {
        // A second signal while stopping: do not wait any longer.
        killAllSync('SIGKILL');
        process.exit(128 + constants.signals[signal]);
      }
      stoppingForSignal = true;
      // Whether someone else handles this signal (then they decide whether to exit).
      const othersListen = process.listenerCount(signal) > 1;
      void stopAll().finally(() => {
        stoppingForSignal = false;
        if (othersListen) return;
        runShutdownHooks();
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal); // re-raise: default action terminates with the signal
      });
    };
    process.on(signal, onSignal);
  }
}

/** Peak resident memory of a running process in MB (Linux /proc VmHWM). */
export function peakRssMb(pid: number): number {
  return statusMb(pid, 'VmHWM');
}

/** Current resident set size of a process in MB (Linux /proc). */
export function rssMb(pid: number): number {
  return statusMb(pid, 'VmRSS');
}

function statusMb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match?.[1] ? Number(match[1]) / 1024 : Number.NaN;
}
