// `gphotos-backup emulator`: serves the Google Photos emulator on loopback and stores an
// authorized_user sign-in for it as the account "emulator".
import { DEFAULT_BEHAVIOUR, type BehaviourOverrides } from '../emulator/behaviour.js';
import { isPreset, PRESETS } from '../emulator/library.js';
import { Emulator } from '../emulator/server.js';
import { configDir } from '../config.js';
import { TokenStore } from '../google/token-store.js';
import { intOption, parse, sizeOption, stringList, stringOption, flag } from './args.js';
import { EXIT, UsageError } from './exit.js';

export const EMULATOR_HELP = `Usage: gphotos-backup emulator [options]

Serve a faithful emulator of Google's Photos Library API, Picker API, OAuth endpoints and media
URLs on 127.0.0.1, with a deterministic synthetic library. Runs until interrupted (Ctrl-C).

Options:
  --preset NAME        library to serve: ${PRESETS.join(', ')} (default: mixed)
  --port N             port on 127.0.0.1; 0 picks a free one (default: 8980)
  --seed TEXT          seed of the synthetic library (default: the preset name)
  --items N            number of items for mixed, large, not-app-created and same-name; for
                       hostile, the total with ordinary items after the hostile ones
  --video-size SIZE    size of the bigvideo preset's video, e.g. 3GiB
  --account NAME       store the emulator's sign-in under this account (default: emulator)
  --credentials-out F  also write the authorized_user JSON to file F
  --set KEY=VALUE      change a behaviour switch, e.g. --set libraryMediaRequiresBearer=true
                       or --set quota.libraryMedia=500 (repeatable; see src/emulator/behaviour.ts)
  --json               print the endpoints as one JSON line instead of text
  -h, --help           show this help

Then point gphotos-backup at it with the printed environment variables.
The control API under /__emulator/ injects faults and reads request counters.`;

function parseSetting(text: string): BehaviourOverrides {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set expects KEY=VALUE, got "${text}"`);
  const key = text.slice(0, eq);
  const raw = text.slice(eq + 1);
  const [top, sub] = key.split('.', 2) as [string, string | undefined];
  const defaults = DEFAULT_BEHAVIOUR as unknown as Record<string, unknown>;
  const current = sub === undefined ? defaults[top] : (defaults[top] as Record<string, unknown> | undefined)?.[sub];
  if (current === undefined || (sub === undefined && typeof current === 'object')) {
    throw new UsageError(`--set: unknown behaviour switch "${key}"`);
  }
  let value: unknown = raw;
  if (typeof current === 'boolean') {
    if (raw !== 'true' && raw !== 'false') throw new UsageError(`--set ${key} must be true or false`);
    value = raw === 'true';
  } else if (typeof current === 'number') {
    value = Number(raw);
    if (!Number.isFinite(value)) throw new UsageError(`--set ${key} must be a number`);
  }
  return (sub === undefined ? { [top]: value } : { [top]: { [sub]: value } });
}

export async function emulatorCommand(argv: readonly string[]): Promise<number> {
  const parsed = parse(argv, {
    preset: { type: 'string' },
    port: { type: 'string' },
    seed: { type: 'string' },
    items: { type: 'string' },
    'video-size': { type: 'string' },
    account: { type: 'string' },
    'credentials-out': { type: 'string' },
    set: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  });
  if (flag(parsed, 'help')) {
    console.log(EMULATOR_HELP);
    return EXIT.ok;
  }
  const preset = stringOption(parsed, 'preset') ?? 'mixed';
  if (!isPreset(preset)) throw new UsageError(`--preset must be one of ${PRESETS.join(', ')}, got "${preset}"`);
  let behaviour: BehaviourOverrides = {};
  for (const setting of stringList(parsed, 'set')) {
    const next = parseSetting(setting);
    behaviour = { ...behaviour, ...next, quota: { ...behaviour.quota, ...next.quota } };
  }
  const items = intOption(parsed, 'items', { min: 0, max: 1_000_000 });
  const videoSize = sizeOption(parsed, 'video-size');
  const seed = stringOption(parsed, 'seed');
  const emulator = await Emulator.start({
    preset,
    port: intOption(parsed, 'port', { min: 0, max: 65535 }) ?? 8980,
    behaviour,
    ...(items !== undefined ? { items } : {}),
    ...(videoSize !== undefined ? { videoSize } : {}),
    ...(seed !== undefined ? { seed } : {}),
  });
  const account = stringOption(parsed, 'account') ?? 'emulator';
  const store = new TokenStore(configDir());
  const credentialsFile = await store.save(account, emulator.credentials());
  const extraFile = stringOption(parsed, 'credentials-out');
  if (extraFile) await emulator.writeCredentials(extraFile);

  const env = emulator.env();
  if (flag(parsed, 'json')) {
    console.log(JSON.stringify({ url: emulator.url, preset, items: emulator.library.items.length, account, credentialsFile, env }));
  } else {
    console.log(`Google Photos emulator (${preset}, ${emulator.library.items.length} items) on ${emulator.url}`);
    console.log(`Sign-in stored as account "${account}" in ${credentialsFile}`);
    console.log('Point gphotos-backup at it with:');
    for (const [name, value] of Object.entries(env)) console.log(`  export ${name}=${value}`);
    console.log(`Control API: ${emulator.url}/__emulator/health, /__emulator/counters, /__emulator/faults`);
  }
  return await new Promise<number>((resolve) => {
    const stop = () => {
      void emulator.close().then(() => resolve(EXIT.interrupted));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
