// The worker runtime's log level (the SDK logs at INFO to stderr by default). Must run before
// the first worker or native connection of the process is created.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

let installed = false;

/** Installs the runtime logger once per process (later calls are no-ops). */
export function installRuntime(level: string | undefined = process.env.GPHOTOS_LOG_LEVEL, fallback: LogLevel = 'INFO'): void {
  if (installed) return;
  installed = true;
  const upper = (level ?? '').toUpperCase() as LogLevel;
  Runtime.install({ logger: new DefaultLogger(LEVELS.includes(upper) ? upper : fallback) });
}
