#!/usr/bin/env node
// gphotos-backup command line: dispatches to one module per command; maps errors to exit codes.
import { emulatorCommand } from './emulator.js';
import { EXIT, exitCodeFor, UsageError } from './exit.js';
import { workerCommand } from './worker.js';

interface Command {
  readonly summary: string;
  readonly run: (argv: readonly string[]) => Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  worker: { summary: 'run a Temporal worker for backup workflows and activities', run: workerCommand },
  emulator: { summary: 'serve the Google Photos emulator (Library, Picker, OAuth, media) on loopback', run: emulatorCommand },
};

export const MAIN_HELP = `Usage: gphotos-backup <command> [options]

Keep a verified copy of your Google Photos on disk or S3, orchestrated by Temporal.

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(10)} ${command.summary}`)
  .join('\n')}

Run \`gphotos-backup <command> --help\` for a command's options.
Exit codes: 0 done, 1 failed, 2 bad usage or configuration, 130 interrupted.`;

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
