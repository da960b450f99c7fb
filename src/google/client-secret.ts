// The user's own OAuth client: the JSON Google's Cloud console downloads for a client of type
// "Desktop app" ({"installed": {"client_id", "client_secret", ...}}). Desktop clients are public
// clients (google-photos-api.md §6): the secret is not confidential, but it is still required by
// Google's token endpoint.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../config.js';

export interface DesktopClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

export const CLIENT_SECRET_FILE = 'client_secret.json';

export function defaultClientSecretFile(configDirectory: string): string {
  return join(configDirectory, CLIENT_SECRET_FILE);
}

/** How to get a client file, for error messages. */
export function clientSecretHowTo(defaultFile: string): string {
  return (
    'gphotos-backup signs in with your own OAuth client of type "Desktop app": in the Google Cloud console ' +
    '(APIs & Services > Credentials > Create credentials > OAuth client ID, application type "Desktop app") ' +
    `create one, download its JSON and save it as ${defaultFile}, or pass --client-secret FILE.`
  );
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

export function parseClientSecret(text: string, source: string, defaultFile: string): DesktopClient {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError(`${source} is not valid JSON. ${clientSecretHowTo(defaultFile)}`);
  }
  const top = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if ('web' in top && !('installed' in top)) {
    throw new ConfigError(
      `${source} belongs to a "Web application" OAuth client, which cannot use the loopback sign-in a command-line tool needs. ${clientSecretHowTo(defaultFile)}`,
    );
  }
  if (top.type === 'authorized_user') {
    throw new ConfigError(`${source} is a stored sign-in (authorized_user), not an OAuth client file. ${clientSecretHowTo(defaultFile)}`);
  }
  const installed = top.installed;
  if (typeof installed !== 'object' || installed === null) {
    throw new ConfigError(`${source} is not a Desktop app OAuth client file (it has no "installed" section). ${clientSecretHowTo(defaultFile)}`);
  }
  const { client_id: clientId, client_secret: clientSecret } = installed as Record<string, unknown>;
  if (!nonEmptyString(clientId)) throw new ConfigError(`${source} lacks "installed.client_id". ${clientSecretHowTo(defaultFile)}`);
  if (!nonEmptyString(clientSecret)) throw new ConfigError(`${source} lacks "installed.client_secret". ${clientSecretHowTo(defaultFile)}`);
  return { clientId: clientId.trim(), clientSecret: clientSecret.trim() };
}

export async function readClientSecret(file: string, defaultFile: string): Promise<DesktopClient> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(`no OAuth client file at ${file}. ${clientSecretHowTo(defaultFile)}`);
    throw new ConfigError(`cannot read the OAuth client file ${file}: ${code ?? String(error)}`);
  }
  return parseClientSecret(text, file, defaultFile);
}
