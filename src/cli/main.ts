#!/usr/bin/env node
// gphotos-backup command line: dispatches to one module per command; maps errors to exit codes.
import { albumsCommand } from './albums.js';
import { authCommand } from './auth.js';
import { backupCommand } from './backup.js';
import { codecServerCommand } from './codec-server.js';
import { controlCommand } from './control.js';
import { devCommand } from './dev.js';
import { emulatorCommand } from './emulator.js';
import { EXIT, exitCodeFor, UsageError } from './exit.js';
import { importTakeoutCommand } from './import-takeout.js';
import { pickCommand } from './pick.js';
import { scheduleCommand } from './schedule.js';
import { setupCommand } from './setup.js';
import { verifyCommand } from './verify.js';
import { workerCommand } from './worker.js';

interface Command {
  readonly summary: string;
  readonly run: (argv: readonly string[]) => Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  auth: { summary: 'sign in to Google and manage stored accounts (login, list, logout)', run: authCommand },
  backup: { summary: 'start (or attach to) a durable backup into a folder; --follow, --wait', run: backupCommand },
  pick: { summary: 'back up the photos you pick in Google Photos (Picker API); --follow, --wait', run: pickCommand },
  'import-takeout': { summary: 'import Google Takeout archives (originals with dates, places, albums); --follow, --wait', run: importTakeoutCommand },
  albums: { summary: 'make folders of links for the albums a Takeout import found', run: albumsCommand },
  schedule: { summary: 'run backups (or Picker rounds) on a Temporal Schedule: create, list, describe, pause, ...', run: scheduleCommand },
  setup: { summary: 'register the search attributes on a production namespace (dev does it itself)', run: setupCommand },
  status: { summary: 'show the progress or outcome of a backup, pick or import; without an id, the recent ones', run: (argv) => controlCommand('status', argv) },
  pause: { summary: 'pause a running backup', run: (argv) => controlCommand('pause', argv) },
  resume: { summary: 'resume a paused backup', run: (argv) => controlCommand('resume', argv) },
  cancel: { summary: 'cancel a running backup (no partial files are left)', run: (argv) => controlCommand('cancel', argv) },
  verify: { summary: 're-hash a destination against its manifest', run: verifyCommand },
  'codec-server': { summary: 'let the Web UI show encrypted histories (GPHOTOS_CODEC_KEYS) in plain text', run: codecServerCommand },
  dev: { summary: 'run a local Temporal dev server (with Web UI) and a worker in one command', run: devCommand },
  worker: { summary: 'run a Temporal worker for backup workflows and activities', run: workerCommand },
  emulator: { summary: 'serve the Google Photos emulator (Library, Picker, OAuth, media) on loopback', run: emulatorCommand },
};

export const MAIN_HELP = `Usage: gphotos-backup <command> [options]

Keep a verified copy of your Google Photos on disk or S3, orchestrated by Temporal.

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(14)} ${command.summary}`)
  .join('\n')}

Run \`gphotos-backup <command> --help\` for a command's options.
Exit codes: 0 done, 1 failed, 2 bad usage or configuration, 3 a pick's session expired unpicked, 130 interrupted.`;

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(MAIN_HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  try {
    if (!command) throw new UsageError(`unknown command "${name}"; run \`gphotos-backup --help\` for the list`);
    return await command.run(rest);
  } catch (error) {
    console.error(`gphotos-backup ${name}: ${(error as Error).message}`);
    return exitCodeFor(error);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = EXIT.failed;
    },
  );
}
