// Which Google sign-in a backup uses: a stored account name or an explicit credentials file.
// Only the name or the path travels through Temporal; activities load the secret themselves.
import { basename } from 'node:path';
import { readAuthorizedUser, type AuthorizedUser } from './credentials.js';
import type { TokenStore } from './token-store.js';

export type AccountRef = { readonly account: string } | { readonly credentialsFile: string };

/** The file holding the sign-in's `authorized_user` JSON. */
export function credentialsPath(ref: AccountRef, store: TokenStore): string {
  return 'account' in ref ? store.pathFor(ref.account) : ref.credentialsFile;
}

export function loadCredentials(ref: AccountRef, store: TokenStore): Promise<AuthorizedUser> {
  return 'account' in ref ? store.load(ref.account) : readAuthorizedUser(ref.credentialsFile);
}

/** A short label for ids, search attributes and messages (never a secret). */
export function accountLabel(ref: AccountRef): string {
  return 'account' in ref ? ref.account : `file:${basename(ref.credentialsFile)}`;
}
