// Backup destinations: parsed from the CLI's --dest, identified by a stable hash (part of the
// workflow id), and opened as a Sink inside activities.
import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from './config.js';
import { DiskSink } from './sinks/disk.js';
import type { Sink } from './sinks/sink.js';

export interface DiskDestination {
  readonly kind: 'disk';
  /** Absolute path. */
  readonly path: string;
}

export type DestinationSpec = DiskDestination;

export function parseDestination(text: string, cwd = process.cwd()): DestinationSpec {
  const value = text.trim();
  if (value === '') throw new ConfigError('--dest must name a folder, e.g. --dest ~/photos-backup');
  if (/^s3:\/\//i.test(value)) throw new ConfigError('S3 destinations (s3://bucket/prefix) are not available in this version yet; use a local folder');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw new ConfigError(`unsupported destination "${value}": use a local folder path`);
  const path = value.startsWith('~/') ? resolve(process.env.HOME ?? '/', value.slice(2)) : isAbsolute(value) ? resolve(value) : resolve(cwd, value);
  return { kind: 'disk', path };
}

export function destinationLabel(spec: DestinationSpec): string {
  return spec.path;
}

/** 12 hex digits identifying the destination (the same folder always gives the same hash). */
export function destinationHash(spec: DestinationSpec): string {
  return createHash('sha256').update(`${spec.kind}:${destinationLabel(spec)}`).digest('hex').slice(0, 12);
}

const sinks = new Map<string, Sink>();

/** One sink per destination per process (it remembers which folders exist and were swept). */
export function openSink(spec: DestinationSpec): Sink {
  let sink = sinks.get(spec.path);
  if (!sink) {
    sink = new DiskSink(spec.path);
    sinks.set(spec.path, sink);
  }
  return sink;
}
