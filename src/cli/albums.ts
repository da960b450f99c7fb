// `gphotos-backup albums`: turns the albums index of a destination's Takeout imports
// (.gphotos-backup/takeout-albums.jsonl) into folders of relative symbolic links, one folder per
// album (Albums/<title>/<name> → ../../YYYY/MM/<name>), so a file browser or photo manager shows
// the albums without a second copy of any photo. Runs on the destination folder itself; no worker.
import { mkdir, readFile, readlink, symlink } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { ALBUMS_INDEX, type AlbumLine } from '../sources/takeout/albums.js';
import { sanitizeFilename, withSuffix } from '../sinks/layout.js';
import { flag, parse, stringOption } from './args.js';
import { EXIT, UsageError } from './exit.js';

export const ALBUMS_HELP = `Usage: gphotos-backup albums --dest DIR [--out DIR] [--json]

Make a folder of links for each album a Takeout import found (its index is
.gphotos-backup/takeout-albums.jsonl in the destination): DIR/Albums/<album title>/<photo>,
each a relative symbolic link to the stored photo, so albums take no space of their own.
Running it again adds what is new and leaves existing links alone. Folder destinations only
(links cannot live in S3).

Options:
  --dest DIR            the destination folder of an import-takeout (required)
  --out DIR             where the album folders go (default: DIR/Albums)
  --json                print the counts as JSON
  -h, --help            show this help`;

function readIndex(text: string, file: string): AlbumLine[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as AlbumLine;
      } catch {
        throw new Error(`${file}: line ${i + 1} is not JSON; run import-takeout again to write it anew`);
      }
    });
}

/** Links `target` at `link`; true when made, false when that very link is there already. A name taken by something else gets a suffix. */
async function linkOnce(target: string, link: string, key: string): Promise<boolean> {
  for (const path of [link, join(dirname(link), withSuffix(basename(link), key))]) {
    const relativeTarget = relative(dirname(path), target);
    try {
      await symlink(relativeTarget, path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if ((await readlink(path).catch(() => undefined)) === relativeTarget) return false;
    }
  }
  throw new Error(`${link}: the name is taken twice by other files; remove them or choose another --out`);
}

export async function albumsCommand(argv: readonly string[]): Promise<number> {
  const parsed = parse(argv, { dest: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } });
  if (flag(parsed, 'help')) {
    console.log(ALBUMS_HELP);
    return EXIT.ok;
  }
  const dest = stringOption(parsed, 'dest');
  if (dest === undefined) throw new UsageError('--dest is required: the folder an import-takeout stored into');
  if (dest.startsWith('s3://')) throw new UsageError('album folders of links need a folder destination, not S3');
  const root = resolve(dest);
  const out = resolve(stringOption(parsed, 'out') ?? join(root, 'Albums'));
  const file = join(root, ALBUMS_INDEX);
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new UsageError(`${file} does not exist: import a Takeout into ${root} first`);
    throw error;
  });
  let [albums, made, present] = [0, 0, 0];
  for (const album of readIndex(text, file)) {
    const folder = join(out, sanitizeFilename(album.title, album.folder, ''));
    await mkdir(folder, { recursive: true });
    albums++;
    for (const key of album.items) {
      if ((await linkOnce(join(root, key), join(folder, basename(key)), key)) === true) made++;
      else present++;
    }
  }
  if (flag(parsed, 'json')) console.log(JSON.stringify({ albums, linksMade: made, linksPresent: present, out }));
  else console.log(`${albums} albums in ${out}: ${made} links made, ${present} there already.`);
  return EXIT.ok;
}
