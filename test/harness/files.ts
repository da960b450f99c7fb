// Files in a destination folder, for tests that check what a backup left behind.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TEMP_PREFIX } from '../../src/sinks/disk.js';

/** Every file below `dir` (absolute paths). */
export function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)]));
}

/** Temp files (of unfinished writes) anywhere below `dir`. */
export function tempFilesUnder(dir: string): string[] {
  return walk(dir).filter((path) => path.split('/').pop()?.startsWith(TEMP_PREFIX));
}
