// How the worker's log lines look: one JSON object per line when stderr is not a terminal (for
// journald, Docker, Loki), readable text on a terminal. Whatever a log call is handed, access
// and refresh tokens, Bearer headers and Google media URLs (baseUrls) are masked before printing.
import type { LogEntry } from '@temporalio/worker';

const SECRETS: readonly [RegExp, string][] = [
  [/\bBearer\s+[A-Za-z0-9._~+/=-]+/g, 'Bearer [redacted]'],
  [/\bya29\.[A-Za-z0-9._-]+/g, '[access token]'],
  [/\b1\/\/[A-Za-z0-9._-]{20,}/g, '[refresh token]'],
  [/https?:\/\/[^\s"'<>]*googleusercontent\.com\/[^\s"'<>]*/g, '[baseUrl]'],
  [/("(?:access_token|refresh_token|id_token|client_secret|baseUrl)"\s*:\s*)"[^"]*"/g, '$1"[redacted]"'],
];

export function redact(text: string): string {
  return SECRETS.reduce((out, [pattern, mask]) => out.replace(pattern, mask), text);
}

function metaJson(meta: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!meta) return {};
  return JSON.parse(redact(JSON.stringify(meta, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)))) as Record<string, unknown>;
}

/** One log line, without its newline. */
export function formatLogEntry(entry: LogEntry, json: boolean): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const meta = metaJson(entry.meta);
  if (json) return JSON.stringify({ time, level: entry.level, message: redact(entry.message), ...meta });
  const rest = Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : '';
  return `${time} [${entry.level}] ${redact(entry.message)}${rest}`;
}
