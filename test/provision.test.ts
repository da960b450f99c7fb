// scripts/provision-tools.sh and resolveTool(): a second run reuses the cache without Go, bad
// configuration exits 2 naming the variable, and resolveTool's lookup order. Never builds anything:
// every run gets a PATH without `go`.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { packageRoot, resolveTool, toolsDir } from '../src/tools/tools.js';
import { tempDir } from './harness/tmp.js';

const root = packageRoot(__dirname);
const script = join(root, 'scripts', 'provision-tools.sh');
const scriptText = readFileSync(script, 'utf8');
const version = (name: string): string => {
  const m = new RegExp(`^${name}=(\\S+)`, 'm').exec(scriptText);
  assert.ok(m?.[1], `${name} not found in provision-tools.sh`);
  return m[1];
};
const cacheDir = toolsDir(process.env);
const cachedTemporal = join(cacheDir, `temporal-cli-${version('TEMPORAL_VERSION')}`, 'bin', 'temporal');
const cachedS3 = join(cacheDir, `versitygw-${version('VERSITYGW_VERSION')}`, 'bin', 'versitygw');
const cachedTestServer = join(cacheDir, `temporal-test-server-${version('TEST_SERVER_VERSION')}`, 'bin', 'temporal-test-server');

function which(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error(`${name} is not on PATH`);
}

/** A bin directory with just what the script needs (and no `go`), plus optional extra executables. */
function restrictedBin(extra: Record<string, string> = {}): string {
  const bin = join(tempDir('provision-bin'), 'bin');
  mkdirSync(bin);
  for (const tool of ['bash', 'mkdir', 'tee', 'cat', 'rm', 'mv']) symlinkSync(which(tool), join(bin, tool));
  for (const [name, body] of Object.entries(extra)) {
    writeFileSync(join(bin, name), body);
    chmodSync(join(bin, name), 0o755);
  }
  assert.ok(!existsSync(join(bin, 'go')));
  return bin;
}

/** The environment for a script run: HOME and cache location kept, PATH restricted, tool variables unset. */
function baseEnv(bin: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { HOME: process.env.HOME, PATH: bin, GPHOTOS_PROVISION_IGNORE_PATH: '1' };
  for (const key of ['GPHOTOS_TOOLS_DIR', 'XDG_CACHE_HOME'] as const) if (process.env[key]) env[key] = process.env[key];
  return { ...env, ...extra };
}

function runScript(env: NodeJS.ProcessEnv) {
  const result = spawnSync(which('bash'), [script], { env, encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function executableFile(dir: string, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\nexit 0\n');
  chmodSync(path, 0o755);
  return path;
}

void describe('provision-tools.sh', { timeout: 60_000 }, () => {
  void test('a second run reuses the cache (no Go, Java or Maven on PATH, PATH binaries ignored)', (t) => {
    if (!existsSync(cachedTemporal) || !existsSync(cachedS3) || !existsSync(cachedTestServer)) {
      t.skip(`no cached tools in ${cacheDir} (run scripts/provision-tools.sh first)`);
      return;
    }
    const bin = restrictedBin();
    const { code, stdout, stderr } = runScript(baseEnv(bin));
    assert.equal(code, 0, stderr);
    assert.equal(stdout, `TEMPORAL_CLI_PATH=${cachedTemporal}\nGPHOTOS_S3_SERVER_PATH=${cachedS3}\nTEMPORAL_TEST_SERVER_PATH=${cachedTestServer}\n`);
    assert.match(stderr, /temporal-cli v[\d.]+: cached at /);
    assert.match(stderr, /versitygw v[\d.]+: cached at /);
    assert.match(stderr, /temporal-test-server [\d.]+: cached at /);
    assert.doesNotMatch(stderr, /building|fetching/);
    assert.equal(readFileSync(join(cacheDir, 'tools.env'), 'utf8'), stdout);
  });

  void test('TEMPORAL_CLI_PATH naming a non-executable file exits 2 naming the variable', () => {
    const dir = tempDir('provision-bad');
    const notExecutable = join(dir, 'temporal');
    writeFileSync(notExecutable, 'not a binary');
    chmodSync(notExecutable, 0o644);
    const env = baseEnv(restrictedBin(), { GPHOTOS_TOOLS_DIR: join(dir, 'tools'), TEMPORAL_CLI_PATH: notExecutable });
    const { code, stdout, stderr } = runScript(env);
    assert.equal(code, 2, stderr);
    assert.match(stderr, new RegExp(`TEMPORAL_CLI_PATH=${notExecutable} is not an executable file`));
    assert.equal(stdout, '');
  });

  void test('without Java or Maven the test server is not fetched: exit 2 naming TEMPORAL_TEST_SERVER_PATH', () => {
    const dir = tempDir('provision-nojava');
    const bin = restrictedBin({ temporal: '#!/bin/sh\n', versitygw: '#!/bin/sh\n' });
    const { code, stdout, stderr } = runScript({ HOME: process.env.HOME, GPHOTOS_TOOLS_DIR: join(dir, 'tools'), PATH: bin });
    assert.equal(code, 2, stderr);
    assert.match(stderr, /Java \(11 or newer\) and Maven are required to fetch temporal-test-server \(or point TEMPORAL_TEST_SERVER_PATH at one\)/);
    assert.equal(stdout, '');
  });
});

void describe('resolveTool', { timeout: 60_000 }, () => {
  void test('uses the environment variable when it names an executable', async () => {
    const exe = executableFile(tempDir('resolve-env'), 'my-temporal');
    assert.equal(await resolveTool('temporal', { env: { TEMPORAL_CLI_PATH: exe } }), exe);
  });

  void test('rejects an environment variable naming a non-executable file', async () => {
    const path = join(tempDir('resolve-bad'), 'versitygw');
    writeFileSync(path, 'x');
    await assert.rejects(resolveTool('s3server', { env: { GPHOTOS_S3_SERVER_PATH: path } }), {
      message: new RegExp(`^GPHOTOS_S3_SERVER_PATH=${path} is not an executable file`),
    });
  });

  void test('reads tools.env from the cache directory', async () => {
    const dir = tempDir('resolve-cache');
    const temporal = executableFile(dir, 'temporal');
    const s3 = executableFile(dir, 'versitygw');
    writeFileSync(join(dir, 'tools.env'), `TEMPORAL_CLI_PATH=${temporal}\nGPHOTOS_S3_SERVER_PATH=${s3}\n`);
    const env = { GPHOTOS_TOOLS_DIR: dir, PATH: restrictedBin(), GPHOTOS_PROVISION_IGNORE_PATH: '1' };
    assert.equal(await resolveTool('temporal', { env }), temporal);
    assert.equal(await resolveTool('s3server', { env }), s3);
  });

  void test('runs the provisioning script when the cache has no usable entry, and parses its output', async () => {
    const toolsDirectory = tempDir('resolve-script');
    // a stale entry: must be ignored
    writeFileSync(join(toolsDirectory, 'tools.env'), 'TEMPORAL_CLI_PATH=/nonexistent/temporal\n');
    const bin = restrictedBin({ temporal: '#!/bin/sh\n', versitygw: '#!/bin/sh\n', 'temporal-test-server': '#!/bin/sh\n' });
    // PATH binaries are allowed here, so the script picks the fake ones up without building.
    const env = { HOME: process.env.HOME, GPHOTOS_TOOLS_DIR: toolsDirectory, PATH: bin };
    assert.equal(await resolveTool('temporal', { env }), join(bin, 'temporal'));
    assert.equal(await resolveTool('s3server', { env }), join(bin, 'versitygw'));
    assert.equal(await resolveTool('testserver', { env }), join(bin, 'temporal-test-server'));
    assert.match(readFileSync(join(toolsDirectory, 'tools.env'), 'utf8'), new RegExp(`GPHOTOS_S3_SERVER_PATH=${bin}/versitygw`));
  });

  void test('reports a failed provisioning run with its stderr', async () => {
    const env = {
      HOME: process.env.HOME,
      GPHOTOS_TOOLS_DIR: tempDir('resolve-fail'),
      PATH: restrictedBin(),
      GPHOTOS_PROVISION_IGNORE_PATH: '1',
    };
    await assert.rejects(resolveTool('temporal', { env }), (err: Error) => {
      assert.match(err.message, /^tool provisioning failed: bash .*provision-tools\.sh exited with code 2/);
      assert.match(err.message, /Go is required to build temporal-cli/);
      assert.match(err.message, /TEMPORAL_CLI_PATH/);
      return true;
    });
  });
});
