// Replays every history recorded under test/histories (scripts/record-histories.ts) against the
// prebuilt workflow bundle: a workflow change that alters the commands an existing run has already
// issued, without a patch, fails here before it can break a backup asleep through its quota.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { installRuntime } from '../src/temporal/runtime.js';
import { packageRoot } from '../src/tools/tools.js';
import { workflowBundlePath, workflowSource } from '../src/worker.js';
import * as workflows from '../src/workflows/index.js';
import { historyFromJson, type History } from './harness/history-json.js';

const root = packageRoot(__dirname);
const historiesDir = join(root, 'test', 'histories');

function historyFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? historyFiles(join(dir, entry.name)) : entry.name.endsWith('.json') ? [join(dir, entry.name)] : []))
    .sort();
}

const recorded = historyFiles(historiesDir).map((file) => ({ name: relative(historiesDir, file), history: historyFromJson(readFileSync(file, 'utf8')) }));

function workflowTypeOf(history: History): string | undefined {
  return history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? undefined;
}

describe('replay of recorded histories', () => {
  it('every recorded history replays without non-determinism against the current workflow bundle', async (t) => {
    installRuntime(process.env.GPHOTOS_LOG_LEVEL, 'ERROR');
    assert.deepEqual(workflowSource(), { workflowBundle: { codePath: workflowBundlePath() } }, 'the prebuilt bundle is older than the compiled code: run npm run build');
    const replays = Worker.runReplayHistories(
      { workflowBundle: { codePath: workflowBundlePath() }, replayName: 'replay-test' },
      recorded.map(({ name, history }) => ({ workflowId: name, history })),
    );
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of replays) {
      replayed += 1;
      // The core's message names the event that no longer matches; the rest is boilerplate.
      if (result.error) failures.push(`${result.workflowId}: ${/\[TMPRL\d+\][^"]*/.exec(result.error.message)?.[0] ?? result.error.message}`);
    }
    t.diagnostic(`${replayed} histories replayed from ${relative(root, historiesDir)}, ${failures.length} failed`);
    assert.deepEqual(failures, [], 'histories that no longer replay (add a patch, see README "Versioning workflows")');
    assert.equal(replayed, recorded.length);
  });

  it('every workflow type the worker serves has recorded histories', () => {
    const covered = new Set(recorded.map(({ history }) => workflowTypeOf(history)));
    for (const type of Object.keys(workflows)) assert.ok(covered.has(type), `no recorded history of ${type}: run node dist/scripts/record-histories.js`);
  });
});
