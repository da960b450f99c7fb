// What the Temporal Web UI shows of a backup and a pick, read the way the UI reads it (real dev
// server with its Web UI, a worker process): the list view's one-line summary, the current
// details the workflow keeps up to date (the `__temporal_workflow_metadata` query), and the
// summaries on activity and timer events, so that the history reads like what happened. Then
// the Web UI itself, in headless Chromium (Debian's package, driven by puppeteer-core), shows
// the summary and the current details of a running backup.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { launch } from 'puppeteer-core';
import { resolveTool } from '../src/tools/tools.js';
import { progressQuery } from '../src/workflows/messages.js';
import { pickProgressQuery } from '../src/workflows/pick-messages.js';
import { runCli } from './harness/cli.js';
import { ACCOUNT, startStack, type Stack } from './harness/stack.js';
import { tempDir } from './harness/tmp.js';
import { until } from './harness/wait.js';

/** Headless Chromium that stays off the network it cannot reach (no update checks, sync or QUIC). */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function currentDetails(handle: WorkflowHandle): Promise<string> {
  return (await handle.query(workflowMetadataQuery)).currentDetails ?? '';
}

/** The summaries on the history's activity-scheduled and timer-started events, in order. */
async function eventSummaries(handle: WorkflowHandle): Promise<string[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events
    .filter((e) => e.activityTaskScheduledEventAttributes || e.timerStartedEventAttributes)
    .map((e) => {
      const data = e.userMetadata?.summary?.data;
      return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as string) : '';
    });
}

describe('what the Web UI shows', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ preset: 'large', items: 150 }, { headless: false });
    stack.emulator.setBehaviour({ pickerPollIntervalMs: 300 });
    await stack.spawnWorker();
  });
  after(() => stack?.close());

  it('a backup: its summary in the list, live details while it runs, and what each activity was for', async (t) => {
    const dest = join(tempDir('ui-backup'), 'photos');
    // Slow enough that the second batch still runs when the first one's counts are in.
    stack.emulator.addFault({ target: 'media', kind: 'slow', probability: 1, delayMs: 80 });
    const started = await runCli(['backup', '--dest', dest, '--account', ACCOUNT, '--concurrency', '1', '--json'], stack.env());
    assert.equal(started.code, 0, started.stderr);
    const { workflowId } = JSON.parse(started.stdout) as { workflowId: string };
    const handle = stack.client.workflow.getHandle(workflowId);
    assert.equal(await (await handle.describe()).staticSummary(), `Google Photos (${ACCOUNT}) → ${dest}`);
    let live = '';
    await until(async () => /- [1-9]\d* stored/.test((live = await currentDetails(handle))), 60_000, 'a stored batch in the details');
    t.diagnostic(live);
    assert.match(live, /^\*\*Backup: (listing|downloading)\*\*/);
    assert.match(live, /- \d+ stored \([\d.]+ [KM]?B\)/);
    assert.match(live, /- \d download batches running/);
    await handle.result();
    stack.emulator.clearFaults();
    assert.match(await currentDetails(handle), /^\*\*Backup: done\*\*\n- 150 listed\n- 150 stored/);
    const summaries = await eventSummaries(handle);
    assert.ok(summaries.some((s) => /^page 1: \d+ items$/.test(s)) && summaries.some((s) => /^page 2: \d+ items$/.test(s)), summaries.join(' | '));
    assert.equal(summaries.at(-1), 'clear away temp files of stopped workers');
  });

  it('a pick: the Picker link in the details while it waits, then its counts; each poll named', async () => {
    const dest = join(tempDir('ui-pick'), 'photos');
    const started = await runCli(['pick', '--dest', dest, '--account', ACCOUNT, '--json'], stack.env());
    assert.equal(started.code, 0, started.stderr);
    const { workflowId, pickerUri } = JSON.parse(started.stdout) as { workflowId: string; pickerUri: string };
    const handle = stack.client.workflow.getHandle(workflowId);
    assert.equal(await (await handle.describe()).staticSummary(), `Google Photos, picked (${ACCOUNT}) → ${dest}`);
    await until(async () => (await handle.query(pickProgressQuery)).polls >= 2, 30_000, 'two polls');
    const waiting = await currentDetails(handle);
    assert.match(waiting, /^\*\*Pick: waiting-for-pick\*\*/);
    assert.ok(waiting.includes(`[open the Picker](${pickerUri})`), waiting);
    stack.emulator.pick(pickerUri.split('/').at(-1) ?? '', { count: 20 });
    await handle.result();
    assert.match(await currentDetails(handle), /^\*\*Pick: done\*\*\n- 20 picked\n- 20 stored/);
    const summaries = await eventSummaries(handle);
    assert.equal(summaries[0], 'open a Picker session');
    assert.ok(summaries.includes('waiting for the person to pick') && summaries.includes('has the person picked? (poll 1)'), summaries.join(' | '));
    assert.ok(summaries.includes('list picked items, page 1') && summaries.includes('picked page 1: 20 items') && summaries.at(-1) === 'close the Picker session', summaries.join(' | '));
  });

  it('the Web UI, in headless Chromium, shows a running backup\'s summary and current details', async (t) => {
    const chromium = await resolveTool('chromium').catch(() => undefined);
    assert.ok(chromium, 'Chromium is needed for this test: apt-get install chromium (scripts/provision-tools.sh does it as root), or set CHROMIUM_PATH');
    const dest = join(tempDir('ui-browser'), 'photos');
    stack.emulator.addFault({ target: 'media', kind: 'slow', probability: 1, delayMs: 200 });
    const started = await runCli(['backup', '--dest', dest, '--account', ACCOUNT, '--concurrency', '1', '--json'], stack.env());
    const { workflowId } = JSON.parse(started.stdout) as { workflowId: string };
    const handle = stack.client.workflow.getHandle(workflowId);
    await until(async () => (await handle.query(progressQuery)).stored > 0 || (await currentDetails(handle)).includes('stored'), 30_000, 'a running backup');
    const browser = await launch({ executablePath: chromium, headless: true, userDataDir: tempDir('chromium-profile'), args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.goto(`${stack.server.uiUrl ?? ''}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`, { waitUntil: 'networkidle2', timeout: 60_000 });
      const summary = `Google Photos (${ACCOUNT}) → ${dest}`;
      // The summary and the current details sit in the workflow page's "User Metadata" section.
      await page.locator('::-p-text(User Metadata)').click();
      let text = '';
      await until(async () => {
        // The UI renders Markdown in sandboxed frames: read them all.
        const texts = await Promise.all(page.frames().map((frame) => frame.evaluate('document.body ? document.body.innerText : ""').catch(() => '')));
        text = texts.map(String).join('\n');
        return text.includes(summary) && /Backup: (listing|downloading)/.test(text) && /\d+ stored \(/.test(text);
      }, 60_000, 'the summary and the current details on the page').catch((error: unknown) => {
        t.diagnostic(text.slice(0, 3000).replace(/\n+/g, ' | '));
        throw error;
      });
      t.diagnostic(text.split('\n').filter((line) => line.includes('Backup:') || line.includes('stored') || line.includes(summary)).join(' | '));
    } finally {
      await browser.close();
      stack.emulator.clearFaults();
      await handle.cancel();
    }
  });
});
