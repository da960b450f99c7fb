// The token store: one `authorized_user` file per account under GPHOTOS_CONFIG_DIR/accounts
// (directories 0700, files 0600), written atomically and durably: a temp file, fsynced, renamed
// over the old one, then the directory fsynced, so a crash leaves the old sign-in or the new one.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../config.js';
import { fsyncPath } from '../fsync.js';
import { readAuthorizedUser, type AuthorizedUser } from './credentials.js';

const ACCOUNT_NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;

export function validateAccountName(name: string): string {
  if (!ACCOUNT_NAME.test(name)) {
    throw new ConfigError(`account name "${name}" is invalid: use 1-64 letters, digits, '.', '_', '@', '+' or '-', starting with a letter or digit`);
  }
  return name;
}

export class TokenStore {
  constructor(private readonly dir: string) {}

  private get accountsDir(): string {
    return join(this.dir, 'accounts');
  }

  pathFor(account: string): string {
    return join(this.accountsDir, `${validateAccountName(account)}.json`);
  }

  async load(account: string): Promise<AuthorizedUser> {
    try {
      return await readAuthorizedUser(this.pathFor(account));
    } catch (error) {
      if (error instanceof ConfigError && /does not exist/.test(error.message)) {
        throw new ConfigError(`no stored sign-in for account "${account}": run \`gphotos-backup auth login --account ${account}\` or pass --credentials FILE`);
      }
      throw error;
    }
  }

  async save(account: string, user: AuthorizedUser): Promise<string> {
    const file = this.pathFor(account);
    await mkdir(this.accountsDir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    await chmod(this.accountsDir, 0o700);
    const temp = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
    try {
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(user, null, 2)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await fsyncPath(this.accountsDir);
    return file;
  }

  async list(): Promise<string[]> {
    try {
      return (await readdir(this.accountsDir)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  async remove(account: string): Promise<boolean> {
    const file = this.pathFor(account);
    try {
      await rm(file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }
}
