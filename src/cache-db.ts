// A SQLite database (better-sqlite3) in this machine's cache folder: the manifest's index
// (manifest/index-db.ts) and the Takeout catalog (sources/takeout/catalog.ts) are such caches of
// what the destination or the archives hold. Several processes on one machine share one (WAL
// mode); a damaged one is thrown away and made anew, as its owner can always fill it again.
import Database from 'better-sqlite3';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

const META = 'CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;';

function isCorrupt(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB';
}

function connect(file: string, schema: string): Database.Database {
  const db = new Database(file, { timeout: 60_000 });
  try {
    db.pragma('journal_mode = WAL');
    // A cache can always be filled again: a commit need not reach the disk before the call returns.
    db.pragma('synchronous = NORMAL');
    db.pragma('cache_size = -16000'); // 16 MB of pages per connection, whatever the size of the file
    db.exec(META + schema);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export abstract class CacheDb {
  protected readonly db: Database.Database;
  private readonly metaSql;

  /** Opens (or creates) `file` with `schema` (a meta table besides); a damaged file is replaced by an empty one. */
  protected constructor(
    readonly file: string,
    schema: string,
  ) {
    mkdirSync(dirname(file), { recursive: true });
    try {
      this.db = connect(file, schema);
    } catch (error) {
      if (!isCorrupt(error)) throw error;
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
      this.db = connect(file, schema);
    }
    this.metaSql = {
      get: this.db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE name = ?'),
      set: this.db.prepare<[string, string]>('INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)'),
    };
  }

  /** Runs `work` in one write transaction (BEGIN IMMEDIATE: other processes wait their turn). */
  writing<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  meta(name: string): string | undefined {
    return this.metaSql.get.get(name)?.value;
  }

  setMeta(name: string, value: string): void {
    this.metaSql.set.run(name, value);
  }

  close(): void {
    this.db.close();
  }
}
