// Stored sign-ins: the token store writes them atomically and privately, and a worker's
// activities pick up a sign-in saved while they run (a new login after a revoked one) without
// a restart, and never keep a failed load.
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { createActivities } from '../src/activities/index.js';
import { googleEndpoints } from '../src/config.js';
import { parseAuthorizedUser, type AuthorizedUser } from '../src/google/credentials.js';
import { TokenStore } from '../src/google/token-store.js';
import { startEmulator } from './harness/emulator.js';
import { tempDir } from './harness/tmp.js';

/** A store whose next `failures` loads fail as a transient read error would. */
class FlakyStore extends TokenStore {
  failures = 0;

  override async load(account: string): Promise<AuthorizedUser> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('EMFILE: too many open files');
    }
    return super.load(account);
  }
}

async function failureOf(call: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await call.then(() => assert.fail('expected the call to fail'), (caught: unknown) => caught);
  assert.ok(error instanceof ApplicationFailure, String(error));
  return error;
}

describe('token store', async () => {
  const emulator = await startEmulator({ preset: 'mixed', items: 5 });
  const endpoints = googleEndpoints(emulator.env());

  it('save writes a 0600 file through a temp file that does not stay behind; a second save replaces it', async () => {
    const dir = join(tempDir('token-store'), 'config');
    const store = new TokenStore(dir);
    const first = emulator.credentials();
    const file = await store.save('alice', first);
    assert.equal(file, store.pathFor('alice'));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'accounts'))).mode & 0o777, 0o700);
    assert.deepEqual(parseAuthorizedUser(await readFile(file, 'utf8'), file), first);

    const second = emulator.credentials();
    await store.save('alice', second);
    await store.save('bob', first);
    assert.deepEqual(parseAuthorizedUser(await readFile(file, 'utf8'), file), second);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual((await readdir(join(dir, 'accounts'))).sort(), ['alice.json', 'bob.json']);
    assert.deepEqual(await store.list(), ['alice', 'bob']);

    // A save that cannot be published (a directory holds the name) removes its temp file.
    await mkdir(store.pathFor('carol'));
    await assert.rejects(store.save('carol', first), { code: 'EISDIR' });
    assert.deepEqual((await readdir(join(dir, 'accounts'))).sort(), ['alice.json', 'bob.json', 'carol.json']);
  });

  it('activities reload a sign-in whose file changed: a login after a revoked one works without new activities', async () => {
    const store = new TokenStore(join(tempDir('token-reload'), 'config'));
    const first = emulator.credentials();
    await store.save('alice', first);
    const activities = createActivities({ endpoints, tokenStore: store });
    assert.ok((await activities.listLibraryPage({ account: { account: 'alice' }, pageSize: 3 })).items.length > 0);

    emulator.revoke(first.refresh_token);
    const revoked = await failureOf(activities.listLibraryPage({ account: { account: 'alice' }, pageSize: 3 }));
    assert.equal(revoked.type, 'revoked');
    assert.equal(revoked.nonRetryable, true);

    await store.save('alice', emulator.credentials()); // `auth login` again, the worker still running
    assert.ok((await activities.listLibraryPage({ account: { account: 'alice' }, pageSize: 3 })).items.length > 0);
  });

  it('a sign-in file given by path is reloaded too, and a missing or broken one fails until it is fixed', async () => {
    const file = join(tempDir('token-file'), 'me.json');
    const activities = createActivities({ endpoints, tokenStore: new TokenStore(tempDir('token-unused')) });
    const missing = await failureOf(activities.listLibraryPage({ account: { credentialsFile: file } }));
    assert.equal(missing.type, 'config');
    assert.match(missing.message, /does not exist/);
    await writeFile(file, '{');
    assert.match((await failureOf(activities.listLibraryPage({ account: { credentialsFile: file } }))).message, /not valid JSON/);
    await emulator.writeCredentials(file);
    assert.ok((await activities.listLibraryPage({ account: { credentialsFile: file }, pageSize: 3 })).items.length > 0);
  });

  it('a load that failed is not kept: the next call reads the unchanged file again', async () => {
    const store = new FlakyStore(join(tempDir('token-flaky'), 'config'));
    await store.save('alice', emulator.credentials());
    const activities = createActivities({ endpoints, tokenStore: store });
    store.failures = 1;
    await assert.rejects(activities.listLibraryPage({ account: { account: 'alice' } }), /EMFILE/);
    assert.ok((await activities.listLibraryPage({ account: { account: 'alice' }, pageSize: 3 })).items.length > 0);
  });
});
