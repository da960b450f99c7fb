// The catalog of a destination's Takeout imports: which archive parts were scanned, every entry
// of the Google Photos export in them (path, folder, name, size, and the text of the JSON files),
// and the import plan made from them (one row per item to store, albums). A SQLite database
// (better-sqlite3) in this machine's cache folder, one per destination, so that a Takeout of a
// million entries costs pages of a file, not a heap of that size. Like the manifest's index it
// is a cache: the archives are the truth, and a part the catalog does not know (or knows at
// another size or time) is scanned again. Parts of one export arrive over days: the catalog
// keeps the parts seen by earlier imports, so a JSON in a new part finds its media in an old one.
import { join } from 'node:path';
import { CacheDb } from '../../cache-db.js';
import { cacheDir } from '../../config.js';
import type { TakeoutFileKind, TakeoutFolderKind } from './paths.js';

/** Bumped when the schema changes: an older catalog is emptied and its parts scanned again. */
const FORMAT = '2';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS parts (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ms INTEGER NOT NULL,
    format TEXT NOT NULL,
    scanned INTEGER NOT NULL DEFAULT 0,
    entries INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE IF NOT EXISTS entries (
    part INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    path TEXT NOT NULL,
    folder TEXT NOT NULL,
    folder_kind TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    size INTEGER NOT NULL,
    crc INTEGER,
    text TEXT,
    PRIMARY KEY (part, idx)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS entries_folder ON entries (folder, name);
  CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    part INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    json TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS items_part ON items (part, idx);
  CREATE TABLE IF NOT EXISTS albums (folder TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS album_items (folder TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (folder, id)) WITHOUT ROWID;`;

/** One file entry of a scanned part, as the catalog keeps it. */
export interface CatalogEntry {
  readonly part: number;
  readonly index: number;
  readonly path: string;
  /** The folder under the top folder ('' for files right in it). */
  readonly folder: string;
  readonly folderKind: TakeoutFolderKind;
  readonly name: string;
  readonly kind: TakeoutFileKind;
  readonly size: number;
  /** The entry's CRC-32: a zip's from its central directory, a tgz's media files' computed by the scan; none in folders. */
  readonly crc?: number;
  /** The text of a JSON sidecar or album metadata file. */
  readonly text?: string;
}

export interface CatalogPart {
  readonly id: number;
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly format: string;
  readonly scanned: boolean;
  readonly entries: number;
}

interface EntryRow {
  part: number;
  idx: number;
  path: string;
  folder: string;
  folder_kind: string;
  name: string;
  kind: string;
  size: number;
  crc: number | null;
  text: string | null;
}

function entryOf(row: EntryRow): CatalogEntry {
  return {
    part: row.part,
    index: row.idx,
    path: row.path,
    folder: row.folder,
    folderKind: row.folder_kind as TakeoutFolderKind,
    name: row.name,
    kind: row.kind as TakeoutFileKind,
    size: row.size,
    ...(row.crc !== null ? { crc: row.crc } : {}),
    ...(row.text !== null ? { text: row.text } : {}),
  };
}

interface PartRow {
  id: number;
  path: string;
  size: number;
  mtime_ms: number;
  format: string;
  scanned: number;
  entries: number;
}

function partOf(row: PartRow): CatalogPart {
  return { id: row.id, path: row.path, size: row.size, mtimeMs: row.mtime_ms, format: row.format, scanned: row.scanned === 1, entries: row.entries };
}

/** Whether a file is still the part the catalog scanned: same size and modification time (a folder never is). */
export function isSameFile(part: CatalogPart, info: { isFile(): boolean; size: number; mtimeMs: number }): boolean {
  return info.isFile() && info.size === part.size && Math.trunc(info.mtimeMs) === part.mtimeMs;
}

/** Where the catalog of the destination with this hash lives. */
export function catalogFile(destinationHash: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), 'takeout', `${destinationHash}.sqlite`);
}

export class TakeoutCatalog extends CacheDb {
  private readonly sql;

  private constructor(file: string) {
    super(file, '');
    if (this.meta('format') !== FORMAT) {
      this.db.exec('DROP TABLE IF EXISTS parts; DROP TABLE IF EXISTS entries; DROP TABLE IF EXISTS items; DROP TABLE IF EXISTS albums; DROP TABLE IF EXISTS album_items; DELETE FROM meta;');
    }
    this.db.exec(SCHEMA);
    this.setMeta('format', FORMAT);
    this.sql = this.statements();
  }

  /** Opens (or creates) the catalog in `file`. */
  static open(file: string): TakeoutCatalog {
    return new TakeoutCatalog(file);
  }

  private statements() {
    const db = this.db;
    return {
      part: db.prepare<[string], PartRow>('SELECT * FROM parts WHERE path = ?'),
      parts: db.prepare<[], PartRow>('SELECT * FROM parts WHERE scanned = 1 ORDER BY path'),
      upsertPart: db.prepare<[string, number, number, string]>(
        'INSERT INTO parts (path, size, mtime_ms, format, scanned, entries) VALUES (?, ?, ?, ?, 0, 0) ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, format = excluded.format, scanned = 0, entries = 0',
      ),
      clearEntries: db.prepare<[number]>('DELETE FROM entries WHERE part = ?'),
      addEntry: db.prepare<[number, number, string, string, string, string, string, number, number | null, string | null]>(
        'INSERT OR REPLACE INTO entries (part, idx, path, folder, folder_kind, name, kind, size, crc, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      finishPart: db.prepare<[number, number]>('UPDATE parts SET scanned = 1, entries = ? WHERE id = ?'),
      folders: db.prepare<[], { folder: string; folder_kind: string }>(
        'SELECT DISTINCT e.folder, e.folder_kind FROM entries e JOIN parts p ON p.id = e.part WHERE p.scanned = 1 ORDER BY e.folder',
      ),
      inFolder: db.prepare<[string], EntryRow>('SELECT e.* FROM entries e JOIN parts p ON p.id = e.part WHERE p.scanned = 1 AND e.folder = ? ORDER BY e.name, p.path, e.idx'),
      entry: db.prepare<[number, number], EntryRow>('SELECT * FROM entries WHERE part = ? AND idx = ?'),
      clearPlan: db.prepare('DELETE FROM items'),
      clearAlbums: db.prepare('DELETE FROM albums'),
      clearAlbumItems: db.prepare('DELETE FROM album_items'),
      item: db.prepare<[string], { json: string }>('SELECT json FROM items WHERE id = ?'),
      itemAt: db.prepare<[number, number], { id: string }>('SELECT id FROM items WHERE part = ? AND idx = ?'),
      putItem: db.prepare<[string, number, number, string]>('INSERT OR REPLACE INTO items (id, part, idx, json) VALUES (?, ?, ?, ?)'),
      itemsOfPart: db.prepare<[number, number, number], { idx: number; id: string }>('SELECT idx, id FROM items WHERE part = ? AND idx >= ? ORDER BY idx LIMIT ?'),
      itemCountOfPart: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM items WHERE part = ?'),
      putAlbum: db.prepare<[string, string]>('INSERT OR REPLACE INTO albums (folder, json) VALUES (?, ?)'),
      putAlbumItem: db.prepare<[string, string]>('INSERT OR IGNORE INTO album_items (folder, id) VALUES (?, ?)'),
      albums: db.prepare<[], { folder: string; json: string }>('SELECT folder, json FROM albums ORDER BY folder'),
      albumItems: db.prepare<[string, string, number], { id: string }>('SELECT id FROM album_items WHERE folder = ? AND id > ? ORDER BY id LIMIT ?'),
    };
  }

  /** The part at this path, if it was ever begun. */
  part(path: string): CatalogPart | undefined {
    const row = this.sql.part.get(path);
    return row && partOf(row);
  }

  /** Every fully scanned part. */
  scannedParts(): CatalogPart[] {
    return this.sql.parts.all().map(partOf);
  }

  /** Starts (or restarts) the scan of a part: its earlier entries are forgotten. Returns its id. */
  beginPart(path: string, size: number, mtimeMs: number, format: string): number {
    return this.writing(() => {
      this.sql.upsertPart.run(path, size, mtimeMs, format);
      const id = this.sql.part.get(path)?.id;
      if (id === undefined) throw new Error(`catalog: part ${path} was not recorded`);
      this.sql.clearEntries.run(id);
      return id;
    });
  }

  /** Adds scanned entries (in one transaction: call with a few hundred at a time). */
  addEntries(entries: readonly CatalogEntry[]): void {
    this.writing(() => {
      for (const e of entries) this.sql.addEntry.run(e.part, e.index, e.path, e.folder, e.folderKind, e.name, e.kind, e.size, e.crc ?? null, e.text ?? null);
    });
  }

  /** Marks a part's scan complete: from now on its entries take part in plans. */
  finishPart(id: number, entries: number): void {
    this.sql.finishPart.run(entries, id);
  }

  /** Every folder of the scanned parts, with its kind. */
  folders(): { folder: string; kind: TakeoutFolderKind }[] {
    return this.sql.folders.all().map((row) => ({ folder: row.folder, kind: row.folder_kind as TakeoutFolderKind }));
  }

  /** Every entry of one folder across the scanned parts, by name (a name in several parts: the first part by path first). */
  entriesIn(folder: string): CatalogEntry[] {
    return this.sql.inFolder.all(folder).map(entryOf);
  }

  entry(part: number, index: number): CatalogEntry | undefined {
    const row = this.sql.entry.get(part, index);
    return row && entryOf(row);
  }

  /** Forgets the last plan (items and albums): a new plan replaces it whole. */
  clearPlan(): void {
    this.writing(() => {
      this.sql.clearPlan.run();
      this.sql.clearAlbums.run();
      this.sql.clearAlbumItems.run();
    });
  }

  putItem(id: string, part: number, index: number, json: string): void {
    this.sql.putItem.run(id, part, index, json);
  }

  item(id: string): string | undefined {
    return this.sql.item.get(id)?.json;
  }

  /** The id of the planned item whose bytes are entry `index` of this part, if any. */
  itemAt(part: number, index: number): string | undefined {
    return this.sql.itemAt.get(part, index)?.id;
  }

  /** Up to `limit` planned items whose bytes are in this part, from entry `from` on, in archive order. */
  itemsOfPart(part: number, from: number, limit: number): { index: number; id: string }[] {
    return this.sql.itemsOfPart.all(part, from, limit).map((row) => ({ index: row.idx, id: row.id }));
  }

  itemCountOfPart(part: number): number {
    return this.sql.itemCountOfPart.get(part)?.n ?? 0;
  }

  putAlbum(folder: string, json: string): void {
    this.sql.putAlbum.run(folder, json);
  }

  putAlbumItem(folder: string, id: string): void {
    this.sql.putAlbumItem.run(folder, id);
  }

  albums(): { folder: string; json: string }[] {
    return this.sql.albums.all();
  }

  /** The ids of an album's items, a page at a time (after `after`, in id order). */
  albumItems(folder: string, after: string, limit: number): string[] {
    return this.sql.albumItems.all(folder, after, limit).map((row) => row.id);
  }

}
