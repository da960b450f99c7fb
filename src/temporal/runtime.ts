// The worker runtime: its logs (JSON lines unless stderr is a terminal, secrets masked:
// log-format.ts) at a level (the SDK logs at INFO by default) and, when asked,
// a Prometheus endpoint for the SDK's metrics and ours (src/metrics.ts). Must run before the
// first worker or native connection of the process is created.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { formatLogEntry } from './log-format.js';

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

let installed = false;

/**
 * Installs the runtime once per process (later calls are no-ops). `metricsAddress` (HOST:PORT)
 * serves Prometheus metrics at http://HOST:PORT/metrics.
 */
export function installRuntime(level: string | undefined = process.env.GPHOTOS_LOG_LEVEL, fallback: LogLevel = 'INFO', metricsAddress?: string): void {
  if (installed) return;
  installed = true;
  const upper = (level ?? '').toUpperCase() as LogLevel;
  Runtime.install({
    logger: new DefaultLogger(LEVELS.includes(upper) ? upper : fallback, (entry) => process.stderr.write(`${formatLogEntry(entry, process.stderr.isTTY !== true)}\n`)),
    ...(metricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress, countersTotalSuffix: true } } } } : {}),
  });
}
