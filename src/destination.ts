// Backup destinations: a local folder or an S3 (or S3-compatible) bucket and prefix. Parsed from
// the CLI's --dest, identified by a stable hash (part of the workflow id), and opened as a Sink
// and a Manifest inside activities (one of each per destination per worker process).
import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { S3Client, type ServerSideEncryption, type StorageClass } from '@aws-sdk/client-s3';
import { ConfigError } from './config.js';
import { diskManifestFor, type Manifest } from './manifest/manifest.js';
import { S3Manifest } from './manifest/s3-manifest.js';
import { DiskSink } from './sinks/disk.js';
import { S3Sink } from './sinks/s3.js';
import type { Sink } from './sinks/sink.js';

export interface DiskDestination {
  readonly kind: 'disk';
  /** Absolute path. */
  readonly path: string;
}

export interface S3Destination {
  readonly kind: 's3';
  readonly bucket: string;
  /** Without leading or trailing slashes; '' for the bucket root. */
  readonly prefix: string;
  /** S3-compatible endpoint (path-style addressing); absent: AWS, or AWS_ENDPOINT_URL_S3. */
  readonly endpoint?: string;
  readonly storageClass?: StorageClass;
  readonly serverSideEncryption?: ServerSideEncryption;
  readonly kmsKeyId?: string;
}

export type DestinationSpec = DiskDestination | S3Destination;

export const STORAGE_CLASSES: readonly StorageClass[] = ['STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE', 'REDUCED_REDUNDANCY'];

export interface S3Settings {
  readonly endpoint?: string;
  readonly storageClass?: string;
  readonly sse?: string;
  readonly kmsKeyId?: string;
}

/** S3 bucket naming rules (3-63 of a-z 0-9 . -, starting and ending with a letter or digit). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function parseS3(value: string, settings: S3Settings): S3Destination {
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/i.exec(value);
  const bucket = match?.[1] ?? '';
  if (!BUCKET.test(bucket) || bucket.includes('..')) throw new ConfigError(`"${value}" is not a valid S3 destination: use s3://bucket/optional/prefix with a valid bucket name`);
  const prefix = (match?.[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((part) => part === '..' || part === '.')) throw new ConfigError(`the S3 prefix in "${value}" must not contain . or .. segments`);
  let endpoint: string | undefined;
  if (settings.endpoint !== undefined) {
    try {
      endpoint = new URL(settings.endpoint).toString().replace(/\/+$/, '');
    } catch {
      throw new ConfigError(`--s3-endpoint must be a URL such as https://s3.example.com, got "${settings.endpoint}"`);
    }
  }
  if (settings.storageClass !== undefined && !STORAGE_CLASSES.includes(settings.storageClass as StorageClass)) {
    throw new ConfigError(`--storage-class must be one of ${STORAGE_CLASSES.join(', ')}, got "${settings.storageClass}"`);
  }
  if (settings.sse !== undefined && settings.sse !== 'AES256' && settings.sse !== 'aws:kms') throw new ConfigError(`--sse must be AES256 or aws:kms, got "${settings.sse}"`);
  if (settings.kmsKeyId !== undefined && settings.sse !== 'aws:kms') throw new ConfigError('--sse-kms-key-id needs --sse aws:kms');
  return {
    kind: 's3',
    bucket,
    prefix,
    ...(endpoint ? { endpoint } : {}),
    ...(settings.storageClass ? { storageClass: settings.storageClass as StorageClass } : {}),
    ...(settings.sse ? { serverSideEncryption: settings.sse } : {}),
    ...(settings.kmsKeyId ? { kmsKeyId: settings.kmsKeyId } : {}),
  };
}

export function parseDestination(text: string, cwd = process.cwd(), s3: S3Settings = {}): DestinationSpec {
  const value = text.trim();
  if (value === '') throw new ConfigError('--dest must name a folder or an s3://bucket/prefix');
  if (/^s3:/i.test(value)) return parseS3(value, s3);
  if (Object.values(s3).some((v) => v !== undefined)) throw new ConfigError('--s3-endpoint, --storage-class and --sse apply to s3:// destinations only');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw new ConfigError(`unsupported destination "${value}": use a local folder or s3://bucket/prefix`);
  const path = value.startsWith('~/') ? resolve(process.env.HOME ?? '/', value.slice(2)) : isAbsolute(value) ? resolve(value) : resolve(cwd, value);
  return { kind: 'disk', path };
}

export function destinationLabel(spec: DestinationSpec): string {
  return spec.kind === 'disk' ? spec.path : `s3://${spec.bucket}${spec.prefix ? `/${spec.prefix}` : ''}`;
}

/** 12 hex digits identifying the destination (the same place always gives the same hash). */
export function destinationHash(spec: DestinationSpec): string {
  const where = spec.kind === 's3' ? `${spec.endpoint ?? 'aws'}|${destinationLabel(spec)}` : destinationLabel(spec);
  return createHash('sha256').update(`${spec.kind}:${where}`).digest('hex').slice(0, 12);
}

/**
 * The region from the SDK's own chain (AWS_REGION, the profile in ~/.aws/config, ...), or
 * us-east-1 when none is set: S3-compatible servers mostly ignore it.
 */
function regionOrDefault(): () => Promise<string> {
  const sdkRegion = new S3Client({}).config.region;
  return async () => {
    try {
      return await sdkRegion();
    } catch {
      return 'us-east-1';
    }
  };
}

/** The S3-compatible server's endpoint when it is not AWS S3 itself. */
function customEndpoint(spec: S3Destination): string | undefined {
  return spec.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
}

/** An S3 client from the AWS SDK's default chain (credentials, region); path-style for custom endpoints. */
export function s3ClientFor(spec: S3Destination): S3Client {
  return new S3Client({
    ...(spec.endpoint ? { endpoint: spec.endpoint } : {}),
    ...(customEndpoint(spec) ? { forcePathStyle: true } : {}),
    region: regionOrDefault(),
    // A bucket in another region than the configured one is found through S3's redirect.
    followRegionRedirects: true,
    // A server that stops answering fails the request (and the SDK retries it) instead of
    // holding an upload forever: 10 s to connect, 60 s without a byte either way.
    requestHandler: { connectionTimeout: 10_000, socketTimeout: 60_000 },
  });
}

const clients = new Map<string, S3Client>();
const sinks = new Map<string, Sink>();
const manifests = new Map<string, Promise<Manifest>>();

/** One S3 client per destination per process, shared by its sink and its manifest. */
function sharedClient(spec: S3Destination): S3Client {
  const id = destinationHash(spec);
  let client = clients.get(id);
  if (!client) {
    client = s3ClientFor(spec);
    clients.set(id, client);
  }
  return client;
}

/** One sink per destination per process (it remembers which folders exist and were swept). */
export function openSink(spec: DestinationSpec): Sink {
  const id = destinationHash(spec);
  let sink = sinks.get(id);
  if (!sink) {
    sink =
      spec.kind === 'disk'
        ? new DiskSink(spec.path)
        : new S3Sink({
            client: sharedClient(spec),
            bucket: spec.bucket,
            prefix: spec.prefix,
            ...(spec.storageClass ? { storageClass: spec.storageClass } : {}),
            ...(spec.serverSideEncryption ? { serverSideEncryption: spec.serverSideEncryption } : {}),
            ...(spec.kmsKeyId ? { kmsKeyId: spec.kmsKeyId } : {}),
            // AWS S3 checks conditional writes atomically; other servers are not trusted to.
            atomicConditionalWrites: customEndpoint(spec) === undefined,
          });
    sinks.set(id, sink);
  }
  return sink;
}

/** The destination's manifest, refreshed before each use. */
export async function manifestFor(spec: DestinationSpec): Promise<Manifest> {
  if (spec.kind === 'disk') return diskManifestFor(spec.path);
  const id = destinationHash(spec);
  let manifest = manifests.get(id);
  if (!manifest) {
    manifest = Promise.resolve(new S3Manifest(sharedClient(spec), spec.bucket, spec.prefix, `${spec.endpoint ?? 'aws'}|${destinationLabel(spec)}`));
    manifests.set(id, manifest);
  }
  const m = await manifest;
  await m.refresh();
  return m;
}
