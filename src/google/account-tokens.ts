// Access-token sources per sign-in, kept for the life of a worker (google-auth-library refreshes
// an access token about once an hour, not once per activity) but reloaded when the sign-in's
// file changes: after `auth logout` and `auth login`, a running worker uses the new refresh
// token at its next activity instead of the old, perhaps revoked, one. One stat per use.
import { stat } from 'node:fs/promises';
import type { GoogleEndpoints } from '../config.js';
import { credentialsPath, loadCredentials, type AccountRef } from './account.js';
import { RefreshingAccessTokens, type AccessTokenSource } from './credentials.js';
import type { TokenStore } from './token-store.js';

interface Entry {
  /** The credentials file as it was when loaded (inode, size, mtime, ctime). */
  readonly version: string;
  readonly source: Promise<AccessTokenSource>;
}

/** Identifies one version of a file; undefined when it cannot be stat'ed (missing, unreadable). */
async function fileVersion(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return undefined;
  }
}

export class AccountTokens {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: TokenStore,
    private readonly endpoints: Pick<GoogleEndpoints, 'tokenUrl'>,
  ) {}

  /** The token source of a sign-in: the cached one while its file is unchanged, else a fresh load. */
  async tokensFor(ref: AccountRef): Promise<AccessTokenSource> {
    const key = JSON.stringify(ref);
    const version = await fileVersion(credentialsPath(ref, this.store));
    const cached = this.entries.get(key);
    if (cached && cached.version === version) return cached.source;
    const source = loadCredentials(ref, this.store).then((user): AccessTokenSource => new RefreshingAccessTokens(user, this.endpoints));
    if (version === undefined) {
      // No file to watch: the load fails with its own message (or races a save); nothing is kept.
      this.entries.delete(key);
      return source;
    }
    const entry: Entry = { version, source };
    this.entries.set(key, entry);
    // A failed load is not kept: the next use reads the file again.
    void source.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return source;
  }
}
