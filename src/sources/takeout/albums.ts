// The albums index of a destination's Takeout imports: `.gphotos-backup/takeout-albums.jsonl`,
// one JSON line per album folder of the export ({folder, title, description?, items: [keys]}),
// the keys being where the album's items are stored. It is written again, whole, at the end of
// every import, from the catalog's plan and the manifest (items that failed are not listed).
import { MANIFEST_DIR, type Manifest } from '../../manifest/manifest.js';
import { readTextAtMost } from '../../sinks/read-at-most.js';
import type { Sink } from '../../sinks/sink.js';
import type { TakeoutCatalog } from './catalog.js';

export const ALBUMS_INDEX = `${MANIFEST_DIR}/takeout-albums.jsonl`;

const PAGE = 1000;

export interface AlbumLine {
  readonly folder: string;
  readonly title: string;
  readonly description?: string;
  /** The stored keys of the album's items, sorted. */
  readonly items: readonly string[];
}

/** The stored keys of an album's items, read from the catalog a page at a time. */
function albumKeys(catalog: TakeoutCatalog, manifest: Manifest, folder: string): string[] {
  const keys: string[] = [];
  for (let after = ''; ; ) {
    const ids = catalog.albumItems(folder, after, PAGE);
    for (const id of ids) {
      const key = manifest.get(id)?.key;
      if (key !== undefined) keys.push(key);
    }
    const last = ids.at(-1);
    if (last === undefined || ids.length < PAGE) return keys.sort();
    after = last;
  }
}

/** The index as it is now, or undefined when there is none. */
async function current(sink: Sink): Promise<string | undefined> {
  const info = await sink.stat(ALBUMS_INDEX);
  return info === undefined ? undefined : readTextAtMost(sink.read(ALBUMS_INDEX), info.size);
}

/** Writes the index (unless it says this already: a re-import writes nothing); returns how many albums it lists. */
export async function writeAlbumsIndex(catalog: TakeoutCatalog, manifest: Manifest, sink: Sink): Promise<number> {
  const lines: string[] = [];
  for (const { folder, json } of catalog.albums()) {
    const album = JSON.parse(json) as Omit<AlbumLine, 'items'>;
    lines.push(JSON.stringify({ ...album, items: albumKeys(catalog, manifest, folder) }));
  }
  const text = lines.map((line) => `${line}\n`).join('');
  if ((await current(sink)) !== text) await sink.writeText(ALBUMS_INDEX, text);
  return lines.length;
}
