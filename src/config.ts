// One validated configuration, read from the environment (DESIGN.md §4). Command-line flags
// override these values in the commands that take them.
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Bad usage or configuration: the CLI exits 2 with this message. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type Env = Readonly<Record<string, string | undefined>>;

export interface GoogleEndpoints {
  readonly libraryApiUrl: string;
  readonly pickerApiUrl: string;
  readonly tokenUrl: string;
  readonly authUrl: string;
}

export const GOOGLE_DEFAULTS: GoogleEndpoints = {
  libraryApiUrl: 'https://photoslibrary.googleapis.com',
  pickerApiUrl: 'https://photospicker.googleapis.com',
  tokenUrl: 'https://oauth2.googleapis.com/token',
  authUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
};

function httpUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`${name} must be an http(s) URL, got "${value}"`);
  return value.replace(/\/+$/, '');
}

function setting(env: Env, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value.trim() === '' ? fallback : value.trim();
}

export function googleEndpoints(env: Env = process.env): GoogleEndpoints {
  return {
    libraryApiUrl: httpUrl('GPHOTOS_LIBRARY_API_URL', setting(env, 'GPHOTOS_LIBRARY_API_URL', GOOGLE_DEFAULTS.libraryApiUrl)),
    pickerApiUrl: httpUrl('GPHOTOS_PICKER_API_URL', setting(env, 'GPHOTOS_PICKER_API_URL', GOOGLE_DEFAULTS.pickerApiUrl)),
    tokenUrl: httpUrl('GOOGLE_OAUTH_TOKEN_URL', setting(env, 'GOOGLE_OAUTH_TOKEN_URL', GOOGLE_DEFAULTS.tokenUrl)),
    authUrl: httpUrl('GOOGLE_OAUTH_AUTH_URL', setting(env, 'GOOGLE_OAUTH_AUTH_URL', GOOGLE_DEFAULTS.authUrl)),
  };
}

/**
 * The origins of the configured Photos API roots. Besides Google's media hosts, these are the
 * only places a media download sends the sign-in to (an emulator serves its media there).
 */
export function apiOrigins(endpoints: Pick<GoogleEndpoints, 'libraryApiUrl' | 'pickerApiUrl'>): string[] {
  return [...new Set([endpoints.libraryApiUrl, endpoints.pickerApiUrl].map((url) => new URL(url).origin))];
}

/** Where this machine keeps what it can always make again: the manifest indexes (see manifest/index-db.ts). */
export function cacheDir(env: Env = process.env): string {
  const cache = setting(env, 'XDG_CACHE_HOME', join(setting(env, 'HOME', homedir()), '.cache'));
  return setting(env, 'GPHOTOS_CACHE_DIR', join(cache, 'gphotos-backup'));
}

/** Where accounts and tokens live (dir 0700, files 0600). */
export function configDir(env: Env = process.env): string {
  return setting(env, 'GPHOTOS_CONFIG_DIR', join(homedir(), '.config', 'gphotos-backup'));
}

export interface TemporalSettings {
  readonly address: string;
  readonly namespace: string;
  readonly taskQueue: string;
}

export function temporalSettings(env: Env = process.env): TemporalSettings {
  const address = setting(env, 'TEMPORAL_ADDRESS', 'localhost:7233');
  if (!/^[^\s:]+:\d+$/.test(address) && !/^\[[^\]]+\]:\d+$/.test(address)) {
    throw new ConfigError(`TEMPORAL_ADDRESS must be host:port, got "${address}"`);
  }
  return {
    address,
    namespace: setting(env, 'TEMPORAL_NAMESPACE', 'default'),
    taskQueue: setting(env, 'GPHOTOS_TASK_QUEUE', 'gphotos-backup'),
  };
}
