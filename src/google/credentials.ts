// Google sign-in material: the `authorized_user` JSON that `auth login` stores, and access tokens
// minted from it with google-auth-library's UserRefreshClient. Only activities and the CLI touch
// these; no token ever enters a workflow.
import { readFile } from 'node:fs/promises';
import { UserRefreshClient } from 'google-auth-library';
import type { GoogleEndpoints } from '../config.js';
import { ConfigError } from '../config.js';
import { classifyTokenError, GooglePhotosError } from './errors.js';

export interface AuthorizedUser {
  readonly type: 'authorized_user';
  readonly client_id: string;
  readonly client_secret: string;
  readonly refresh_token: string;
  readonly quota_project_id?: string;
}

export function parseAuthorizedUser(text: string, source: string): AuthorizedUser {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError(`${source} is not valid JSON`);
  }
  const v = value as Partial<Record<keyof AuthorizedUser, unknown>>;
  if (typeof value !== 'object' || value === null || v.type !== 'authorized_user') {
    throw new ConfigError(`${source} is not an authorized_user credentials file (its "type" must be "authorized_user")`);
  }
  for (const field of ['client_id', 'client_secret', 'refresh_token'] as const) {
    if (typeof v[field] !== 'string' || v[field] === '') throw new ConfigError(`${source} lacks "${field}"`);
  }
  return value as AuthorizedUser;
}

export async function readAuthorizedUser(file: string): Promise<AuthorizedUser> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(code === 'ENOENT' ? `credentials file ${file} does not exist` : `cannot read credentials file ${file}: ${code ?? String(error)}`);
  }
  return parseAuthorizedUser(text, file);
}

/** Something that yields a live access token and can be told the last one was refused. */
export interface AccessTokenSource {
  token(): Promise<string>;
  /** Drop the cached token: the next token() refreshes. */
  invalidate(): void;
}

interface GaxiosLikeError {
  status?: number;
  response?: { status?: number; data?: unknown };
}

/** Access tokens from a refresh token, through google-auth-library (refreshes before expiry). */
export class RefreshingAccessTokens implements AccessTokenSource {
  private readonly client: UserRefreshClient;

  constructor(
    private readonly user: AuthorizedUser,
    endpoints: Pick<GoogleEndpoints, 'tokenUrl'>,
  ) {
    this.client = new UserRefreshClient({
      clientId: user.client_id,
      clientSecret: user.client_secret,
      refreshToken: user.refresh_token,
      endpoints: { oauth2TokenUrl: endpoints.tokenUrl },
    });
  }

  async token(): Promise<string> {
    try {
      const { token } = await this.client.getAccessToken();
      if (!token) throw new GooglePhotosError('unauthenticated', 'The token endpoint returned no access token.');
      return token;
    } catch (error) {
      if (error instanceof GooglePhotosError) throw error;
      const e = error as GaxiosLikeError;
      const status = e.response?.status ?? e.status;
      const data = e.response?.data;
      throw classifyTokenError(status, typeof data === 'string' ? data : JSON.stringify(data ?? ''), error);
    }
  }

  invalidate(): void {
    this.client.setCredentials({ refresh_token: this.user.refresh_token });
  }
}
