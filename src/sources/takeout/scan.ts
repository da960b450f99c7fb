// Scanning one Takeout part into the catalog: every entry of its Google Photos export (path,
// folder, name, size, CRC-32 of media files in a zip or tgz) and the text of every JSON file (sidecars and
// album metadata: small, and needed to pair and date the media). A zip is scanned from its
// central directory plus its JSON entries; a tgz in one pass over the whole stream, which also
// proves the part complete and gives each media file's CRC-32. A part already scanned at the same size and time is not read again.
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { readTextAtMost } from '../../sinks/read-at-most.js';
import { openArchive, type ArchiveEntry, type TakeoutArchive } from './archive.js';
import { isSameFile, type CatalogEntry, type CatalogPart, type TakeoutCatalog } from './catalog.js';
import { classifyTakeoutPath } from './paths.js';

/** A JSON file larger than this is no sidecar (they hold a few hundred bytes): kept as 'other'. */
const MAX_JSON_BYTES = 4 * 1024 * 1024;
const ROWS_PER_TRANSACTION = 500;

export interface ScanCounts {
  readonly entries: number;
  readonly media: number;
  readonly sidecars: number;
  /** Entries outside the Google Photos folder (other Google products, Takeout's index page). */
  readonly outside: number;
}

export interface ScanResult extends ScanCounts {
  readonly part: number;
  readonly format: string;
  /** False when the catalog knew the part already (same size and time). */
  readonly scanned: boolean;
}

function wantsText(entry: CatalogEntry): boolean {
  return (entry.kind === 'sidecar' || entry.kind === 'album-metadata') && entry.size <= MAX_JSON_BYTES;
}

/** Collects a part's entries and writes them to the catalog a few hundred at a time. */
class PartScan {
  private rows: CatalogEntry[] = [];
  entries = 0;
  media = 0;
  sidecars = 0;
  outside = 0;

  constructor(
    private readonly catalog: TakeoutCatalog,
    readonly part: number,
  ) {}

  /** The catalog row of an archive entry (undefined outside the Google Photos folder). */
  rowOf(entry: ArchiveEntry): CatalogEntry | undefined {
    const where = classifyTakeoutPath(entry.path);
    if (!where) return undefined;
    return {
      part: this.part,
      index: entry.index,
      path: entry.path,
      folder: where.folder,
      folderKind: where.folderKind,
      name: where.name,
      kind: where.fileKind,
      size: entry.size,
      ...(entry.crc32 !== undefined ? { crc: entry.crc32 } : {}),
    };
  }

  add(entry: ArchiveEntry, row: CatalogEntry | undefined, text?: string): void {
    this.entries++;
    if (!row) {
      this.outside++;
      return;
    }
    if (row.kind === 'media') this.media++;
    if (row.kind === 'sidecar') this.sidecars++;
    this.rows.push(text === undefined ? row : { ...row, text });
    if (this.rows.length >= ROWS_PER_TRANSACTION) this.flush();
  }

  flush(): void {
    if (this.rows.length > 0) this.catalog.addEntries(this.rows);
    this.rows = [];
  }

  counts(): ScanCounts {
    return { entries: this.entries, media: this.media, sidecars: this.sidecars, outside: this.outside };
  }
}

/** zip and folders: the listing first (no data read), then the JSON entries' texts. */
async function scanListed(archive: TakeoutArchive, scan: PartScan, signal: AbortSignal | undefined, beat: () => void): Promise<void> {
  const texts = new Map<number, CatalogEntry>();
  for await (const entry of archive.entries(signal)) {
    const row = scan.rowOf(entry);
    if (row && wantsText(row)) texts.set(entry.index, row);
    else scan.add(entry, row);
  }
  await archive.read({ wanted: (entry) => texts.has(entry.index), ...(signal ? { signal } : {}) }, async (entry, body) => {
    const row = texts.get(entry.index);
    scan.add(entry, row, await readTextAtMost(body, MAX_JSON_BYTES));
    texts.delete(entry.index);
    beat();
  });
  // JSON entries the reader did not hand over cannot exist in a complete part; kept without text.
  for (const row of texts.values()) scan.add({ path: row.path, size: row.size, index: row.index }, row);
}

/** The CRC-32 of a body, read to its end. */
async function crc32Of(body: Readable): Promise<number> {
  let crc = 0;
  for await (const chunk of body) crc = zlib.crc32(chunk as Buffer, crc);
  return crc;
}

/**
 * tgz: one pass, the JSON texts read on the way, the media bodies through a CRC-32 (a tar records
 * none; with it a photo has the same id as in a zip of the same export: plan.ts), every other body
 * skipped.
 */
async function scanStreamed(archive: TakeoutArchive, scan: PartScan, signal: AbortSignal | undefined, beat: () => void): Promise<void> {
  await archive.read({ wanted: () => true, ...(signal ? { signal } : {}) }, async (entry, body) => {
    const row = scan.rowOf(entry);
    if (row && wantsText(row)) scan.add(entry, row, await readTextAtMost(body, MAX_JSON_BYTES));
    else scan.add(entry, row?.kind === 'media' ? { ...row, crc: await crc32Of(body) } : row);
    beat();
  });
}

function countsOf(catalog: TakeoutCatalog, part: CatalogPart): ScanResult {
  const counts = JSON.parse(catalog.meta(`counts:${part.id}`) ?? '{}') as Partial<ScanCounts>;
  return { part: part.id, format: part.format, scanned: false, entries: part.entries, media: counts.media ?? 0, sidecars: counts.sidecars ?? 0, outside: counts.outside ?? 0 };
}

/** Scans a part into the catalog unless it knows it at this size and time already (a folder is always read again). */
export async function scanPart(catalog: TakeoutCatalog, path: string, options: { signal?: AbortSignal; beat?: () => void } = {}): Promise<ScanResult> {
  const info = await stat(path).catch(() => undefined);
  const known = catalog.part(path);
  if (info && known?.scanned && isSameFile(known, info)) return countsOf(catalog, known);
  // A path that is gone or unreadable fails here, with the error that names it.
  const archive = await openArchive(path);
  try {
    const now = info ?? (await stat(path));
    const id = catalog.beginPart(path, now.isDirectory() ? 0 : now.size, Math.trunc(now.mtimeMs), archive.format);
    const scan = new PartScan(catalog, id);
    const beat = options.beat ?? (() => undefined);
    if (archive.format === 'tgz') await scanStreamed(archive, scan, options.signal, beat);
    else await scanListed(archive, scan, options.signal, beat);
    scan.flush();
    const counts = scan.counts();
    catalog.writing(() => {
      catalog.setMeta(`counts:${id}`, JSON.stringify(counts));
      catalog.finishPart(id, counts.entries);
    });
    return { part: id, format: archive.format, scanned: true, ...counts };
  } finally {
    await archive.close();
  }
}
