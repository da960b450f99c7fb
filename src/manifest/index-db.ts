// The manifest's index: a SQLite database (better-sqlite3) in this machine's cache folder, so that
// a destination of a million items costs the worker pages of a file, not a heap of that size.
// The index is a cache: the destination's own records (`manifest.jsonl` on disk, segments and
// snapshots in S3) stay the truth, and the index is rebuilt from them when it is missing,
// damaged, of another format, or behind records it cannot account for. Several processes on one
// machine share it (WAL mode); every change runs in one write transaction, so two workers that
// catch up at once never apply the same records twice or out of order.
import { CacheDb } from '../cache-db.js';
import type { KeyOwnership } from '../sinks/sink.js';
import { identityOf, type ManifestEntry } from './entries.js';
import { recordFingerprint, type RepairMark } from './repair.js';

/** Bumped when the schema or what it derives from a record changes: an older index is rebuilt. */
const FORMAT = '1';
/** Rows read per query when walking every entry (the walk holds no statement open between pages). */
const PAGE = 500;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS items (
    id TEXT NOT NULL UNIQUE,
    key TEXT NOT NULL,
    identity TEXT,
    anon_size INTEGER,
    same_as TEXT,
    fp TEXT NOT NULL,
    json TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS condemned (fp TEXT PRIMARY KEY) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS consumed (name TEXT PRIMARY KEY) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS covered (name TEXT PRIMARY KEY) WITHOUT ROWID;`;
/** The lookups other than by id; dropped while a rebuild loads many rows, made again after. */
const LOOKUPS = `
  CREATE INDEX IF NOT EXISTS items_key ON items (key) WHERE same_as IS NULL;
  CREATE INDEX IF NOT EXISTS items_identity ON items (identity) WHERE identity IS NOT NULL AND same_as IS NULL;
  CREATE INDEX IF NOT EXISTS items_anon ON items (anon_size) WHERE anon_size IS NOT NULL AND same_as IS NULL;`;

export class IndexDb extends CacheDb {
  private readonly sql;

  private constructor(
    file: string,
    readonly destination: string,
  ) {
    super(file, SCHEMA + LOOKUPS);
    this.sql = this.statements();
    this.writing(() => {
      if (this.meta('format') === FORMAT && this.meta('destination') === destination) return;
      this.clearAll();
    });
  }

  /** Opens (or creates) the index in `file` for the destination named `destination`. */
  static open(file: string, destination: string): IndexDb {
    return new IndexDb(file, destination);
  }

  private statements() {
    const db = this.db;
    return {
      lapse: db.prepare<[string, string]>('DELETE FROM condemned WHERE fp = (SELECT fp FROM items WHERE id = ?) AND fp <> ?'),
      put: db.prepare<[string, string, string | null, number | null, string | null, string, string]>(
        'INSERT OR REPLACE INTO items (id, key, identity, anon_size, same_as, fp, json) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      get: db.prepare<[string], { json: string }>('SELECT json FROM items WHERE id = ?'),
      owner: db.prepare<[string], { id: string }>('SELECT id FROM items WHERE key = ? AND same_as IS NULL ORDER BY rowid DESC LIMIT 1'),
      byIdentity: db.prepare<[string], { json: string }>('SELECT json FROM items WHERE identity = ? AND same_as IS NULL'),
      anonymous: db.prepare<[number], { json: string }>('SELECT json FROM items WHERE anon_size = ? AND same_as IS NULL'),
      condemn: db.prepare<[string]>('INSERT OR IGNORE INTO condemned (fp) VALUES (?)'),
      isCondemned: db.prepare<[string], { fp: string }>('SELECT fp FROM condemned WHERE fp = ?'),
      page: db.prepare<[number], { rowid: number; json: string }>(`SELECT rowid, json FROM items WHERE rowid > ? ORDER BY rowid LIMIT ${PAGE}`),
      count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM items'),
      consume: db.prepare<[string]>('INSERT OR IGNORE INTO consumed (name) VALUES (?)'),
      isConsumed: db.prepare<[string], { name: string }>('SELECT name FROM consumed WHERE name = ?'),
      forget: db.prepare<[string]>('DELETE FROM consumed WHERE name = ?'),
      consumedNames: db.prepare<[], { name: string }>('SELECT name FROM consumed'),
      uncover: db.prepare('DELETE FROM covered'),
      cover: db.prepare<[string]>('INSERT OR IGNORE INTO covered (name) VALUES (?)'),
      isCovered: db.prepare<[string], { name: string }>('SELECT name FROM covered WHERE name = ?'),
    };
  }

  /** Forgets every record, mark and consumed source (the caller then reads them all again). */
  clearAll(): void {
    this.db.exec('DELETE FROM items; DELETE FROM condemned; DELETE FROM consumed; DELETE FROM covered; DELETE FROM meta;');
    this.setMeta('format', FORMAT);
    this.setMeta('destination', this.destination);
  }

  /**
   * Loads many records into an empty index (a rebuild): the lookups are dropped first and made
   * once at the end, which is several times faster than keeping them up to date row by row.
   */
  bulk<T>(work: () => Promise<T>): Promise<T> {
    this.dropLookups();
    return work().finally(() => this.makeLookups());
  }

  dropLookups(): void {
    this.db.exec('DROP INDEX IF EXISTS items_key; DROP INDEX IF EXISTS items_identity; DROP INDEX IF EXISTS items_anon;');
  }

  /** Makes the lookups that are missing (after a bulk load, or one a crash interrupted). */
  makeLookups(): void {
    this.db.exec(LOOKUPS);
  }

  /** Applies one record: it replaces the id's earlier one, and a mark on a replaced record lapses (see repair.ts). */
  apply(entry: ManifestEntry): void {
    const fp = recordFingerprint(entry);
    this.sql.lapse.run(entry.id, fp);
    const stored = entry.sameAs === undefined;
    const identity = stored ? (identityOf(entry.filename, entry.creationTime) ?? null) : null;
    const anonSize = stored && identity === null ? entry.size : null;
    this.sql.put.run(entry.id, entry.key, identity, anonSize, entry.sameAs ?? null, fp, JSON.stringify(entry));
  }

  condemn(mark: RepairMark): void {
    this.sql.condemn.run(recordFingerprint(mark));
  }

  get(id: string): ManifestEntry | undefined {
    const row = this.sql.get.get(id);
    return row && (JSON.parse(row.json) as ManifestEntry);
  }

  ownerOf(key: string, id: string): KeyOwnership {
    const owner = this.sql.owner.get(key)?.id;
    return owner === undefined ? 'unknown' : owner === id ? 'this-item' : 'another-item';
  }

  needsRepair(id: string): boolean {
    let entry = this.get(id);
    // A sameAs record needs what its original needs: the original's stored copy is the item's.
    if (entry?.sameAs !== undefined) entry = this.get(entry.sameAs);
    return entry !== undefined && entry.sameAs === undefined && this.sql.isCondemned.get(recordFingerprint(entry)) !== undefined;
  }

  sameNameAndTime(filename: string, creationTime: string): ManifestEntry[] {
    const identity = identityOf(filename, creationTime);
    return identity === undefined ? [] : this.trusted(this.sql.byIdentity.all(identity));
  }

  anonymousOfSize(size: number): ManifestEntry[] {
    return this.trusted(this.sql.anonymous.all(size));
  }

  private trusted(rows: readonly { json: string }[]): ManifestEntry[] {
    return rows.map((row) => JSON.parse(row.json) as ManifestEntry).filter((entry) => !this.needsRepair(entry.id));
  }

  /** Every item's latest record, a page at a time (an entry replaced during the walk may come twice). */
  *values(): Generator<ManifestEntry> {
    for (const json of this.lines()) yield JSON.parse(json) as ManifestEntry;
  }

  /** Every item's latest record as the JSON line it was stored as (without its newline), a page at a time. */
  *lines(): Generator<string> {
    let after = 0;
    for (;;) {
      const rows = this.sql.page.all(after);
      for (const row of rows) yield row.json;
      const last = rows.at(-1);
      if (!last || rows.length < PAGE) return;
      after = last.rowid;
    }
  }

  get size(): number {
    return this.sql.count.get()?.n ?? 0;
  }

  /** Named sources (S3 segments) whose records are in the index. */
  consumed(name: string): boolean {
    return this.sql.isConsumed.get(name) !== undefined;
  }

  consume(name: string): void {
    this.sql.consume.run(name);
  }

  /** Consumed names (one per segment still listed, plus the snapshots taken). */
  consumedNames(): string[] {
    return this.sql.consumedNames.all().map((row) => row.name);
  }

  /** Replaces the names the taken snapshot covers (its records are in the index, whether those objects are still there or not). */
  setCovered(names: readonly string[]): void {
    this.sql.uncover.run();
    for (const name of names) this.sql.cover.run(name);
  }

  covered(name: string): boolean {
    return this.sql.isCovered.get(name) !== undefined;
  }

  /** Forgets consumed names that `keep` rejects (sources gone from the destination). */
  forgetConsumed(keep: (name: string) => boolean): void {
    for (const { name } of this.sql.consumedNames.all()) if (!keep(name)) this.sql.forget.run(name);
  }

}
