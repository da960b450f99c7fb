// Temporary directories for tests: created under os.tmpdir() and removed when the process exits or
// is interrupted (kept, and listed on stderr, when KEEP_TEST_DIRS=1).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onShutdown } from '../../src/devserver/process.js';

const created: string[] = [];
let hookInstalled = false;

/** Creates a fresh directory `<tmpdir>/gphotos-<prefix>-XXXXXX` registered for removal at exit. */
export function tempDir(prefix: string): string {
  const safe = prefix.replace(/[^A-Za-z0-9._-]+/g, '-');
  const dir = mkdtempSync(join(tmpdir(), `gphotos-${safe}-`));
  created.push(dir);
  installHook();
  return dir;
}

function installHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  // Runs at exit and before a terminating signal is re-raised, after servers were signalled.
  onShutdown(() => {
    if (process.env.KEEP_TEST_DIRS === '1') {
      for (const dir of created) process.stderr.write(`kept test dir ${dir}\n`);
      return;
    }
    for (const dir of created) {
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      } catch {
        // best effort
      }
    }
  });
}
