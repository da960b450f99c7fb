// What the backup-related commands share: which sign-in (--account / --credentials), which
// destination (--dest), the business workflow id derived from both, the Temporal client, and the
// Web UI link.
import { resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { parseDestination, destinationHash, type DestinationSpec } from '../destination.js';
import { accountLabel, type AccountRef } from '../google/account.js';
import { validateAccountName } from '../google/token-store.js';
import { connectClient, temporalTarget, type TemporalTarget } from '../temporal/connection.js';
import { intOption, stringOption, type OptionSpec, type Parsed } from './args.js';
import { UsageError } from './exit.js';

export const ACCOUNT_OPTIONS: OptionSpec = {
  account: { type: 'string' },
  credentials: { type: 'string' },
};

export const ACCOUNT_HELP = `  --account NAME        stored sign-in to use (default: default; see \`auth login\`)
  --credentials FILE    use this authorized_user JSON file instead of a stored account`;

export function accountRef(parsed: Parsed): AccountRef {
  const file = stringOption(parsed, 'credentials');
  const name = stringOption(parsed, 'account');
  if (file !== undefined && name !== undefined) throw new UsageError('give either --account or --credentials, not both');
  if (file !== undefined) return { credentialsFile: resolve(file) };
  return { account: validateAccountName(name ?? 'default') };
}

export const S3_OPTIONS: OptionSpec = {
  's3-endpoint': { type: 'string' },
  'storage-class': { type: 'string' },
  sse: { type: 'string' },
  'sse-kms-key-id': { type: 'string' },
};

/** Flags of every command that runs a workflow into a destination (backup, pick). */
export const RUN_OPTIONS: OptionSpec = {
  ...ACCOUNT_OPTIONS,
  ...S3_OPTIONS,
  dest: { type: 'string' },
  concurrency: { type: 'string' },
  'max-rate': { type: 'string' },
  sidecars: { type: 'boolean' },
  follow: { type: 'boolean' },
  wait: { type: 'boolean' },
  json: { type: 'boolean' },
};

export const RATE_HELP = `  --max-rate N          media requests per second for the whole run, however many workers
                        share it (default: no limit); at most N batches run at once`;

/** --max-rate, as the workflow options take it. */
export function maxRate(parsed: Parsed): { maxMediaPerSecond?: number } {
  const rate = intOption(parsed, 'max-rate', { min: 1, max: 100_000 });
  return rate === undefined ? {} : { maxMediaPerSecond: rate };
}

export const S3_HELP = `  --s3-endpoint URL     S3-compatible endpoint (MinIO, R2, B2, Wasabi...; path-style); default:
                        AWS, or AWS_ENDPOINT_URL_S3. Credentials and region: the AWS SDK's chain
  --storage-class C     e.g. STANDARD_IA, GLACIER_IR, DEEP_ARCHIVE (s3:// only)
  --sse KIND            server-side encryption: AES256 or aws:kms (s3:// only)
  --sse-kms-key-id ID   KMS key for --sse aws:kms`;

export function destination(parsed: Parsed): DestinationSpec {
  const dest = stringOption(parsed, 'dest');
  if (dest === undefined) throw new UsageError('--dest is required: a folder or s3://bucket/prefix to back up into');
  const endpoint = stringOption(parsed, 's3-endpoint');
  const storageClass = stringOption(parsed, 'storage-class');
  const sse = stringOption(parsed, 'sse');
  const kmsKeyId = stringOption(parsed, 'sse-kms-key-id');
  return parseDestination(dest, process.cwd(), {
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(storageClass !== undefined ? { storageClass } : {}),
    ...(sse !== undefined ? { sse } : {}),
    ...(kmsKeyId !== undefined ? { kmsKeyId } : {}),
  });
}

/** Business id: starting the same backup twice attaches to the running one. */
export function backupWorkflowId(account: AccountRef, dest: DestinationSpec): string {
  return `backup/${accountLabel(account)}/${destinationHash(dest)}`;
}

/** Business id of a pick into a destination: starting it again attaches to the running one. */
export function pickWorkflowId(account: AccountRef, dest: DestinationSpec): string {
  return `pick/${accountLabel(account)}/${destinationHash(dest)}`;
}

/** The workflow a status/pause/resume/cancel command is about: a positional id, or --dest (+ account). */
export function targetWorkflowId(parsed: Parsed): string {
  const [id] = parsed.positionals;
  if (id !== undefined) return id;
  if (stringOption(parsed, 'dest') === undefined) throw new UsageError('name the backup: a workflow id, or --dest DIR (with --account if not "default")');
  return backupWorkflowId(accountRef(parsed), destination(parsed));
}

export interface Connected {
  readonly client: Client;
  readonly target: TemporalTarget;
  readonly close: () => Promise<void>;
}

export async function connect(): Promise<Connected> {
  const target = temporalTarget();
  let client: Client;
  try {
    client = await connectClient(target);
  } catch (error) {
    throw new Error(
      `cannot reach Temporal at ${target.connectionOptions.address ?? 'localhost:7233'} (${(error as Error).message}). ` +
        'Start one with `gphotos-backup dev`, or set TEMPORAL_ADDRESS.',
    );
  }
  return { client, target, close: () => client.connection.close() };
}

/** Web UI link of a workflow: TEMPORAL_UI_URL, or the dev server's UI beside a local frontend. */
export function webUiLink(target: TemporalTarget, workflowId: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  let base = env.TEMPORAL_UI_URL?.replace(/\/+$/, '');
  if (!base) {
    const match = /^(localhost|127\.0\.0\.1|\[::1\]):(\d+)$/.exec(target.connectionOptions.address ?? 'localhost:7233');
    if (!match?.[1] || !match[2]) return undefined;
    base = `http://${match[1]}:${Number(match[2]) + 1000}`;
  }
  return `${base}/namespaces/${encodeURIComponent(target.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
