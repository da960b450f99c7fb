// Exit codes (DESIGN.md §4) and the errors that map to them.
import { ConfigError } from '../config.js';

/** `pickExpired`: a Picker session expired before anything was picked (run `pick` again). */
export const EXIT = { ok: 0, failed: 1, usage: 2, pickExpired: 3, interrupted: 130 } as const;

/** Bad flags or arguments: exit 2 with a message saying what to fix. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function exitCodeFor(error: unknown): number {
  return error instanceof UsageError || error instanceof ConfigError ? EXIT.usage : EXIT.failed;
}
