// Stored sign-ins: the token store writes them atomically and privately.
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAuthorizedUser } from '../src/google/credentials.js';
import { TokenStore } from '../src/google/token-store.js';
import { startEmulator } from './harness/emulator.js';
import { tempDir } from './harness/tmp.js';

describe('token store', async () => {
  const emulator = await startEmulator({ preset: 'mixed', items: 5 });

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
});
