// Connections to Temporal configured the Temporal way (@temporalio/envconfig: TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, profiles), plus our task queue and, when
// keys are configured, the payload codec (codec.ts).
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';
import { ConfigError, temporalSettings, type Env } from '../config.js';
import { dataConverterFromEnv } from './codec.js';

export interface TemporalTarget {
  readonly connectionOptions: ReturnType<typeof loadClientConnectConfig>['connectionOptions'];
  readonly namespace: string;
  readonly taskQueue: string;
}

export function temporalTarget(env: Env = process.env): TemporalTarget {
  const settings = temporalSettings(env);
  let config: ReturnType<typeof loadClientConnectConfig>;
  try {
    const vars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
    config = loadClientConnectConfig({ overrideEnvVars: vars });
  } catch (error) {
    throw new ConfigError(`Temporal client configuration is invalid: ${(error as Error).message}`);
  }
  return {
    connectionOptions: { ...config.connectionOptions, address: config.connectionOptions.address ?? settings.address },
    namespace: config.namespace ?? settings.namespace,
    taskQueue: settings.taskQueue,
  };
}

export async function connectClient(target: TemporalTarget): Promise<Client> {
  const { address, tls, apiKey, metadata } = target.connectionOptions;
  const connection = await Connection.connect({
    ...(address ? { address } : {}),
    ...(tls !== undefined ? { tls } : {}),
    ...(typeof apiKey === 'string' ? { apiKey } : {}),
    ...(metadata ? { metadata } : {}),
  });
  return new Client({ connection, namespace: target.namespace, ...dataConverterFromEnv() });
}

export function connectWorker(target: TemporalTarget): Promise<NativeConnection> {
  return NativeConnection.connect(target.connectionOptions);
}
