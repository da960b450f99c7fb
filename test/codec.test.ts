// The payload codec (real dev server, a worker process with the key): with it on, the history a
// cluster operator can read holds no destination path, file name or media id; the CLI, holding
// the key, still starts, follows and reports backups; the codec server opens a sealed payload for
// a request from the Web UI's origin and refuses any other origin; keys rotate.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Payload } from '@temporalio/common';
import { freePort } from '../src/devserver/process.js';
import { AesGcmCodec, parseKeys } from '../src/temporal/codec.js';
import { packageRoot } from '../src/tools/tools.js';
import { runCli } from './harness/cli.js';
import { historyText } from './harness/history.js';
import { ACCOUNT, startStack, type Stack } from './harness/stack.js';
import { tempDir } from './harness/tmp.js';
import { until } from './harness/wait.js';

const UI_ORIGIN = 'http://127.0.0.1:8233';
const key = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

describe('payload codec', () => {
  let stack: Stack;
  let keys: Record<string, string>;
  let codecServer: ChildProcess | undefined;
  before(async () => {
    stack = await startStack({ preset: 'large', items: 20 });
    keys = { GPHOTOS_CODEC_KEYS: key('2026-12') };
    await stack.spawnWorker('codec-worker', keys);
  });
  after(async () => {
    codecServer?.kill('SIGTERM');
    await stack?.close();
  });

  it('history without the key is unreadable; the CLI with it works; the codec server decodes for the Web UI only', async () => {
    const dest = join(tempDir('codec'), 'photos');
    const result = await runCli(['backup', '--dest', dest, '--account', ACCOUNT, '--wait', '--json'], stack.env(keys));
    assert.equal(result.code, 0, result.stderr);
    const { workflowId, summary } = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { workflowId: string; summary: { stored: number } };
    assert.equal(summary.stored, 20);
    const status = await runCli(['status', workflowId], stack.env(keys));
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /20 stored/);

    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    const text = historyText(history);
    const sealed = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    assert.ok(sealed);
    assert.equal(new TextDecoder().decode(sealed.metadata?.encoding ?? new Uint8Array()), 'binary/encrypted', 'payloads are sealed');
    const items = stack.emulator.library.items;
    for (const secret of [...items.map((i) => i.id), ...items.map((i) => i.filename)]) assert.ok(!text.includes(secret), `"${secret}" is not readable in history`);
    // The destination stays readable where the server must read it: the search attribute it
    // indexes (and the one-line summary beside it), never in inputs, results or memos.
    const start = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    assert.ok(!historyText({ input: start?.input, memo: start?.memo }).includes(dest), 'the destination is sealed in input and memo');

    const port = await freePort();
    codecServer = spawn(process.execPath, [join(packageRoot(), 'dist', 'src', 'cli', 'main.js'), 'codec-server', '--port', String(port), '--ui-origin', UI_ORIGIN], { env: stack.env(keys), stdio: 'ignore' });
    const url = `http://127.0.0.1:${port}/decode`;
    const wire = { metadata: Object.fromEntries(Object.entries(sealed.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(sealed.data ?? new Uint8Array()).toString('base64') };
    const decode = (origin: string) => fetch(url, { method: 'POST', headers: { origin, 'content-type': 'application/json', 'x-namespace': 'default' }, body: JSON.stringify({ payloads: [wire] }) });
    await until(async () => (await decode(UI_ORIGIN)).ok, 20_000, 'the codec server');
    const answer = await decode(UI_ORIGIN);
    assert.equal(answer.headers.get('access-control-allow-origin'), UI_ORIGIN);
    const { payloads } = (await answer.json()) as { payloads: { data: string }[] };
    assert.ok(Buffer.from(payloads[0]?.data ?? '', 'base64').toString('utf8').includes(dest), 'the decoded input names the destination');
    const foreign = await decode('http://evil.example');
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
  });

  it('keys rotate: a payload sealed with an old key opens while that key is listed, and fails clearly once it is not', async () => {
    const old = parseKeys([key('old')], 'test');
    const fresh = key('new');
    const sealed: Payload[] = await new AesGcmCodec(old.keys, old.current).encode([{ metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new TextEncoder().encode('"IMG_0001.JPG"') }]);
    const both = parseKeys([fresh, ...[...old.keys].map(([id, k]) => `${id}:${k.toString('base64')}`)], 'test');
    const [opened] = await new AesGcmCodec(both.keys, both.current).decode(sealed);
    assert.equal(new TextDecoder().decode(opened?.data), '"IMG_0001.JPG"');
    const onlyNew = parseKeys([fresh], 'test');
    await assert.rejects(new AesGcmCodec(onlyNew.keys, onlyNew.current).decode(sealed), /sealed with key "old", which is not among the configured keys/);
    assert.throws(() => parseKeys(['short:AAAA'], 'GPHOTOS_CODEC_KEYS'), /32 bytes/);
  });
});
