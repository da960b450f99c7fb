// Build step: bundles the workflow code once (webpack, through the Temporal SDK), so that a
// worker starts without bundling: faster, and without webpack's few hundred MB at start-up.
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { workflowBundlePath, workflowsPath } from '../src/worker.js';

async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: new DefaultLogger('WARN') });
  writeFileSync(workflowBundlePath(), code);
  console.error(`workflow bundle: ${workflowBundlePath()} (${(code.length / 1024).toFixed(0)} KiB)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
