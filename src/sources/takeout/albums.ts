// The albums index of a destination's Takeout imports: `.gphotos-backup/takeout-albums.jsonl`,
// one JSON line per album folder of the export ({folder, title, description?, items: [keys]}),
// the keys being where the album's items are stored. It is written again, whole, at the end of
// every import, from the catalog's plan and the manifest (items that failed are not listed),
// keeping what earlier imports listed that the catalog does not know.
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

/** The albums of an index's text, by folder (lines that do not read as albums are dropped). */
function albumsOf(text: string | undefined): Map<string, AlbumLine> {
  const albums = new Map<string, AlbumLine>();
  for (const line of (text ?? '').split('\n')) {
    try {
      const album = JSON.parse(line) as Partial<AlbumLine>;
      if (typeof album.folder === 'string' && typeof album.title === 'string' && Array.isArray(album.items)) {
        albums.set(album.folder, { ...(album as AlbumLine), items: album.items.filter((key): key is string => typeof key === 'string') });
      }
    } catch {
      // a torn or foreign line
    }
  }
  return albums;
}

/**
 * Writes the index (unless it says this already: a re-import writes nothing); returns how many
 * albums it lists. The albums this worker's catalog knows get their items from it; the index's
 * other albums and items (imports planned elsewhere: another machine, a lost cache, the
 * destination reached by another path) are kept where the manifest still has an item at the key.
 */
export async function writeAlbumsIndex(catalog: TakeoutCatalog, manifest: Manifest, sink: Sink): Promise<number> {
  const before = await current(sink);
  const albums = albumsOf(before);
  const stillStored = (key: string) => manifest.ownerOf(key, '') !== 'unknown';
  for (const [folder, album] of albums) albums.set(folder, { ...album, items: album.items.filter(stillStored) });
  for (const { folder, json } of catalog.albums()) {
    const album = JSON.parse(json) as Omit<AlbumLine, 'items'>;
    const items = new Set([...(albums.get(folder)?.items ?? []), ...albumKeys(catalog, manifest, folder)]);
    albums.set(folder, { ...album, items: [...items].sort() });
  }
  const folders = [...albums.keys()].sort();
  const text = folders.map((folder) => `${JSON.stringify(albums.get(folder))}\n`).join('');
  if (before !== text) await sink.writeText(ALBUMS_INDEX, text);
  return folders.length;
}
