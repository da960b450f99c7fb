#!/usr/bin/env node
// Runs the compiled test files (dist/test/**/*.test.js) with Node's built-in test runner.
// Usage: node scripts/run-tests.mjs [substring-filter ...]
//
// Each file runs in its own `node --test-reporter=spec FILE` process (TEST_CONCURRENCY at a time,
// default 2), its output is printed whole when it ends, and the totals are the sum of the files'
// own summaries. `node --test` with several files is not used: under CPU load its parent loses
// the tail of a child's report when the child force-exits (nodejs/node#64833), so tests that ran
// went uncounted and the run still passed. Here a file that ends without its summary fails.
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
const concurrency = Math.max(1, Number(process.env.TEST_CONCURRENCY ?? 2));
// A file that hangs is stopped (SIGTERM, SIGKILL 15 s later) and fails after TEST_TIMEOUT_MS
// (default 10 min) instead of holding up the run (a file run in its own process does not honour
// --test-timeout); the whole run gives up after SUITE_TIMEOUT_MS (default 40 min). The longest
// file takes about three minutes on a 2-core machine. --test-force-exit ends a file once its
// tests are done, even if a handle is left open.
const fileTimeoutMs = Number(process.env.TEST_TIMEOUT_MS ?? 600_000);
const suiteTimeoutMs = Number(process.env.SUITE_TIMEOUT_MS ?? 2_400_000);
const nodeArgs = ['--test-force-exit', '--test-reporter=spec'];
// Manifest indexes of the tests' destinations go to a folder of this run, removed at its end.
const cacheDir = process.env.GPHOTOS_CACHE_DIR ? undefined : mkdtempSync(join(tmpdir(), 'gphotos-test-cache-'));
const env = cacheDir ? { ...process.env, GPHOTOS_CACHE_DIR: cacheDir } : process.env;
const counters = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'];
const running = new Set();

/** The counters of a spec reporter's closing summary ("ℹ tests 30" …), or undefined without one. */
function summaryOf(output) {
  const found = {};
  for (const name of counters) {
    const match = output.match(new RegExp(`^ℹ ${name} (\\d+)$`, 'm'));
    if (!match) return undefined;
    found[name] = Number(match[1]);
  }
  return found;
}

/** Runs one file; resolves with its summary and whether it passed. */
function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    // Each file is its own process group: a signal to this script reaches the file and the
    // servers it started, so every file runs its cleanup (servers stopped, temp dirs removed).
    const child = spawn(process.execPath, [...nodeArgs, file], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      stopGroup(child, 'SIGTERM');
      setTimeout(() => stopGroup(child, 'SIGKILL'), 15_000).unref();
    }, fileTimeoutMs);
    const chunks = [];
    child.stdout.on('data', (chunk) => chunks.push(chunk));
    child.stderr.on('data', (chunk) => chunks.push(chunk));
    child.on('close', (code, signal) => {
      running.delete(child);
      clearTimeout(timer);
      const output = Buffer.concat(chunks).toString('utf8');
      const summary = summaryOf(output);
      const passed = !hung && code === 0 && summary !== undefined && summary.fail === 0 && summary.cancelled === 0;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const why = hung ? `, stopped after ${fileTimeoutMs / 1000} s` : summary ? '' : ', no summary';
      const verdict = passed ? 'ok' : `FAILED (exit ${code ?? signal}${why})`;
      process.stdout.write(`\n=== ${relative(root, file)}: ${verdict} in ${seconds} s\n${output}`);
      resolve({ file, summary, passed });
    });
  });
}

function stopGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}
function forward(signal) {
  for (const child of running) stopGroup(child, signal);
}
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopping = true;
    forward(signal);
  });
}
let timedOut = false;
const watchdog = setTimeout(() => {
  timedOut = true;
  stopping = true;
  console.error(`test run did not finish within ${suiteTimeoutMs / 1000} s; stopping it`);
  forward('SIGTERM');
  setTimeout(() => forward('SIGKILL'), 15_000).unref();
}, suiteTimeoutMs);
watchdog.unref();

const started = Date.now();
const queue = [...files];
const results = [];
async function lane() {
  while (queue.length > 0 && !stopping) results.push(await runFile(queue.shift()));
}
await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, lane));
if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });

const totals = Object.fromEntries(counters.map((name) => [name, 0]));
for (const { summary } of results) for (const name of counters) totals[name] += summary?.[name] ?? 0;
const failed = results.filter((r) => !r.passed).map((r) => relative(root, r.file));
const notRun = files.length - results.length;
console.log(`\n${files.length} files, ${results.length} run: ${counters.map((n) => `${n} ${totals[n]}`).join(', ')}; ${((Date.now() - started) / 1000).toFixed(0)} s`);
if (failed.length > 0) console.log(`failed files:\n  ${failed.join('\n  ')}`);
if (notRun > 0) console.log(`${notRun} files not run (the run was stopped)`);
process.exit(timedOut || stopping || failed.length > 0 || notRun > 0 ? 1 : 0);
