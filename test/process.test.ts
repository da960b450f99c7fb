// ManagedProcess and the process-wide registry, with small real child processes: readiness
// (TCP, HTTP, early exit with log tail, timeout), stop() escalation to SIGKILL, and that no child
// outlives a parent that exits, throws, or is interrupted.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { freePort, ManagedProcess, ProcessExitedError, runningProcesses } from '../src/devserver/process.js';
import { tempDir } from './harness/tmp.js';

const PROCESS_MODULE = join(__dirname, '..', 'src', 'devserver', 'process.js');
const TMP_MODULE = join(__dirname, 'harness', 'tmp.js');

/** Gone = no such pid, or a zombie nobody has reaped yet (PID 1 in a container may not reap). */
function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

async function eventually(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

function nodeChild(name: string, script: string, logFile: string): Promise<ManagedProcess> {
  return ManagedProcess.start({ name, command: process.execPath, args: ['-e', script], logFile });
}

void describe('ManagedProcess', { timeout: 60_000 }, () => {
  const dir = tempDir('process');

  void test('freePort returns a port that can be bound on 127.0.0.1', async () => {
    const port = await freePort();
    assert.ok(port > 0 && port < 65536);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  void test('a command that cannot be spawned is reported clearly', async () => {
    await assert.rejects(
      ManagedProcess.start({ name: 'missing', command: join(dir, 'no-such-binary'), args: [], logFile: join(dir, 'missing.log') }),
      /could not start missing \(.*no-such-binary\): spawn .* ENOENT/,
    );
    assert.equal(runningProcesses().length, 0);
  });

  void test('waits for TCP and HTTP readiness; stdout and stderr go to the log file', async () => {
    const port = await freePort();
    const logFile = join(dir, 'http.log');
    const script = `
      console.log('starting on ${port}');
      console.error('a line on stderr');
      setTimeout(() => require('node:http').createServer((req, res) => res.end('ok')).listen(${port}, '127.0.0.1'), 300);`;
    const proc = await nodeChild('http child', script, logFile);
    try {
      await proc.waitUntilReady(
        [
          { kind: 'tcp', port },
          { kind: 'http', url: `http://127.0.0.1:${port}/` },
        ],
        { timeoutMs: 10_000 },
      );
      const log = readFileSync(logFile, 'utf8');
      assert.match(log, /starting http child/);
      assert.match(log, new RegExp(`starting on ${port}`));
      assert.match(log, /a line on stderr/);
    } finally {
      await proc.stop();
    }
    assert.equal(proc.running, false);
  });

  void test('a process that exits before it is ready fails fast with the tail of its log', async () => {
    const port = await freePort();
    const logFile = join(dir, 'early-exit.log');
    const lines = Array.from({ length: 60 }, (_, i) => `line ${i}`).join('\\n');
    const proc = await nodeChild('doomed', `console.log("${lines}"); console.error('fatal: bad flag'); process.exit(3);`, logFile);
    const started = Date.now();
    await assert.rejects(proc.waitUntilReady({ kind: 'tcp', port }, { timeoutMs: 30_000 }), (err: unknown) => {
      assert.ok(err instanceof ProcessExitedError);
      assert.equal(err.exit.code, 3);
      assert.match(err.message, /doomed exited \(code 3\)/);
      assert.match(err.message, /fatal: bad flag/);
      assert.match(err.message, /line 59/);
      assert.doesNotMatch(err.logTail, /line 10\n/, 'only the last ~40 lines');
      return true;
    });
    assert.ok(Date.now() - started < 10_000, 'should not wait for the timeout');
  });

  void test('readiness times out with a clear message and the log tail', async () => {
    const port = await freePort();
    const proc = await nodeChild('idle', `console.log('idling'); setInterval(() => {}, 1000);`, join(dir, 'idle.log'));
    try {
      await assert.rejects(proc.waitUntilReady({ kind: 'tcp', port }, { timeoutMs: 700 }), (err: Error) => {
        assert.match(err.message, /idle was not ready after 700 ms: TCP 127\.0\.0\.1:\d+ failed \(ECONNREFUSED/);
        assert.match(err.message, /idling/);
        return true;
      });
    } finally {
      await proc.stop();
    }
  });

  void test('stop() escalates to SIGKILL when SIGTERM is ignored', async () => {
    const proc = await nodeChild(
      'stubborn',
      `process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('handler ' + 'installed'); setInterval(() => {}, 1000);`,
      join(dir, 'stubborn.log'),
    );
    // give it time to install its handler (the marker is split so the logged command line cannot match)
    await proc.waitUntilReady({
      kind: 'probe',
      description: 'handler installed',
      probe: () =>
        readFileSync(proc.logFile, 'utf8').includes('handler installed') ? Promise.resolve() : Promise.reject(new Error('not yet')),
    });
    const exit = await proc.stop({ graceMs: 300 });
    assert.equal(exit.signal, 'SIGKILL');
    assert.ok(processGone(proc.pid));
    assert.ok(!runningProcesses().includes(proc));
  });

  // A parent Node process makes a temp dir, starts `sleep` through ManagedProcess, then ends in various ways.
  const parentScript = (mode: string): string => `
    const { ManagedProcess } = require(${JSON.stringify(PROCESS_MODULE)});
    const { tempDir } = require(${JSON.stringify(TMP_MODULE)});
    (async () => {
      const scratch = tempDir('process-parent');
      const child = await ManagedProcess.start({ name: 'sleeper', command: 'sleep', args: ['1000'], logFile: scratch + '/sleeper.log' });
      console.log('DIR ' + scratch);
      console.log('CHILD ' + child.pid);
      switch (${JSON.stringify(mode)}) {
        case 'exit': process.exit(0);
        case 'natural': return; // nothing else keeps the loop alive
        case 'throw': setTimeout(() => { throw new Error('boom'); }, 10); return;
        case 'rejection': void Promise.reject(new Error('unhandled')); return;
        default: setInterval(() => {}, 1000); // wait for a signal
      }
    })();`;

  for (const [mode, signal] of [
    ['exit', undefined],
    ['natural', undefined],
    ['throw', undefined],
    ['rejection', undefined],
    ['wait', 'SIGTERM'],
    ['wait', 'SIGINT'],
  ] as const) {
    void test(`no child or temp dir outlives a parent that ${signal ? `gets ${signal}` : `ends by '${mode}'`}`, async () => {
      const env = { ...process.env };
      delete env.KEEP_TEST_DIRS;
      const parent = spawn(process.execPath, ['-e', parentScript(mode)], { stdio: ['ignore', 'pipe', 'pipe'], env });
      let out = '';
      parent.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      parent.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        parent.once('exit', (code, sig) => resolve({ code, signal: sig })),
      );
      try {
        assert.ok(await eventually(() => /CHILD \d+/.test(out), 10_000), `parent printed no child pid:\n${out}`);
        const childPid = Number(/CHILD (\d+)/.exec(out)?.[1]);
        if (signal) {
          assert.equal(processGone(childPid), false, 'the child should be running');
          parent.kill(signal);
        }
        const result = await exited;
        if (signal) assert.equal(result.signal, signal, `parent should die of ${signal} (re-raised):\n${out}`);
        else if (mode === 'exit' || mode === 'natural') assert.equal(result.code, 0, out);
        else assert.notEqual(result.code, 0, out);
        assert.ok(await eventually(() => processGone(childPid), 5_000), `child ${childPid} outlived its parent`);
        const scratch = /DIR (\S+)/.exec(out)?.[1];
        assert.ok(scratch, out);
        assert.equal(existsSync(scratch), false, `temp dir ${scratch} was left behind`);
      } finally {
        parent.kill('SIGKILL');
        const pid = /CHILD (\d+)/.exec(out)?.[1];
        if (pid && !processGone(Number(pid))) process.kill(Number(pid), 'SIGKILL');
      }
    });
  }
});
