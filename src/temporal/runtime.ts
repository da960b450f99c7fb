// The worker runtime's log level (the SDK logs at INFO to stderr by default). Must run before
// the first worker or native connection of the process is created.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export function installRuntime(level: string | undefined = process.env.GPHOTOS_LOG_LEVEL, fallback: LogLevel = 'INFO'): void {
  const upper = (level ?? '').toUpperCase() as LogLevel;
  Runtime.install({ logger: new DefaultLogger(LEVELS.includes(upper) ? upper : fallback) });
}
