#!/usr/bin/env node
// Runs the compiled test files (dist/test/**/*.test.js) with Node's built-in test runner.
// Usage: node scripts/run-tests.mjs [substring-filter ...]
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const testDir = join(root, 'dist', 'test');

function collect(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return collect(path);
    return name.endsWith('.test.js') ? [path] : [];
  });
}

const filters = process.argv.slice(2);
const files = collect(testDir)
  .filter((file) => filters.length === 0 || filters.some((f) => relative(root, file).includes(f)))
  .sort();
if (files.length === 0) {
  console.error(`no test files matched under ${relative(root, testDir)} (filters: ${filters.join(' ') || 'none'})`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
// A test that hangs fails after TEST_TIMEOUT_MS (default 10 min) instead of holding up the run;
// the whole run gives up after SUITE_TIMEOUT_MS (default 40 min). The longest test takes about
// a minute on a 2-core machine.
const testTimeoutMs = Number(process.env.TEST_TIMEOUT_MS ?? 600_000);
const suiteTimeoutMs = Number(process.env.SUITE_TIMEOUT_MS ?? 2_400_000);
const args = ['--test', `--test-concurrency=${concurrency}`, `--test-timeout=${testTimeoutMs}`, '--test-force-exit', '--test-reporter=spec', ...files];
// Manifest indexes of the tests' destinations go to a folder of this run, removed at its end.
const cacheDir = process.env.GPHOTOS_CACHE_DIR ? undefined : mkdtempSync(join(tmpdir(), 'gphotos-test-cache-'));
const child = spawn(process.execPath, args, {
  stdio: 'inherit',
  cwd: root,
  detached: true,
  env: cacheDir ? { ...process.env, GPHOTOS_CACHE_DIR: cacheDir } : process.env,
});
// The runner and its test files form one process group: a signal to this script reaches all of
// them, so every test file runs its cleanup (servers stopped, temp dirs removed).
const forward = (signal) => {
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
};
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
let timedOut = false;
const watchdog = setTimeout(() => {
  timedOut = true;
  console.error(`test run did not finish within ${suiteTimeoutMs / 1000} s; stopping it`);
  forward('SIGTERM');
  setTimeout(() => forward('SIGKILL'), 15_000).unref();
}, suiteTimeoutMs);
watchdog.unref();
child.on('exit', (code, signal) => {
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  process.exit(timedOut ? 1 : (code ?? (signal ? 130 : 1)));
});
