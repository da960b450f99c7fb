// The import plan of a Takeout: from the catalog's entries (all scanned parts), folder by folder,
// the media files and their JSON sidecars (sidecar-match.ts), made into the items to store. An
// item is one media file, whichever folders it sits in: the copy in a year folder and the copies
// in album folders (same name but for its `(n)`, same size, same CRC-32) are one item, stored once and listed in
// each album. Trash and "Failed Videos" are left out unless asked for. The plan lives in the
// catalog (one row per item), never in Temporal's history: the workflow sees counts only.
import { createHash } from 'node:crypto';
import type { CatalogEntry, TakeoutCatalog } from './catalog.js';
import { DUPLICATE_INDEX, extensionOf, stemOf, type TakeoutFolderKind } from './paths.js';
import { matchFolder, type MediaMatch, type MediaRole, type SidecarRule } from './sidecar-match.js';
import { parseSidecar, type TakeoutMetadata } from './sidecar-json.js';

/** One item of the plan: where its bytes are, what its JSON says, how it relates to others. */
export interface TakeoutItem {
  readonly id: string;
  /** The media file's name in the archive. */
  readonly name: string;
  readonly mimeType: string;
  readonly size: number;
  /** Where its bytes are read from (the first copy found: a year folder before album folders). */
  readonly part: number;
  readonly index: number;
  readonly folder: string;
  /** Every folder it appears in. */
  readonly folders: readonly string[];
  readonly role: MediaRole;
  /** The id of the original (edited copies) or of the still (Live Photo clips, motion parts). */
  readonly of?: string;
  /** The JSON sidecar: where its text is in the catalog, and the rule that found it. */
  readonly sidecar?: { readonly part: number; readonly index: number; readonly name: string; readonly how: SidecarRule };
  /** What the JSON says (capture time, place, title...); absent without a sidecar. */
  readonly metadata?: TakeoutMetadata;
}

export interface PlanOptions {
  readonly includeTrash: boolean;
  readonly includeFailedVideos: boolean;
}

export interface PlanSummary {
  /** Items to store (each once, whatever the folders it is in). */
  readonly items: number;
  /** Copies of items found in another folder too (album folders): not stored again. */
  readonly duplicates: number;
  /** Media files with no JSON sidecar: stored anyway, without capture time from Google. */
  readonly unmatched: number;
  /** Their names (the first 50). */
  readonly unmatchedSample: readonly string[];
  /** JSON sidecars no media file uses (a media file in a part not imported yet, or one Takeout left out). */
  readonly unusedSidecars: number;
  /** JSON sidecars paired with a media file that do not read as JSON (cut short, damaged): kept as they are, saying nothing. */
  readonly unreadableSidecars?: number;
  /** Their paths (the first 50). */
  readonly unreadableSample?: readonly string[];
  /** Media files left out: in Trash or "Failed Videos". */
  readonly leftOut: number;
  readonly albums: number;
}

const SAMPLE = 50;

const MIME_TYPES: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', jpe: 'image/jpeg', png: 'image/png', gif: 'image/gif', heic: 'image/heic', heif: 'image/heif',
  avif: 'image/avif', webp: 'image/webp', bmp: 'image/bmp', tif: 'image/tiff', tiff: 'image/tiff', dng: 'image/x-adobe-dng',
  mp4: 'video/mp4', m4v: 'video/x-m4v', mov: 'video/quicktime', '3gp': 'video/3gpp', '3g2': 'video/3gpp2', avi: 'video/x-msvideo',
  mkv: 'video/x-matroska', mts: 'video/mp2t', m2ts: 'video/mp2t', wmv: 'video/x-ms-wmv', webm: 'video/webm', mpg: 'video/mpeg', mpeg: 'video/mpeg',
};

/** A media file's MIME type by its extension (octet-stream for RAW formats and Pixel motion parts). */
export function mimeTypeOf(name: string): string {
  return MIME_TYPES[extensionOf(name).toLowerCase()] ?? 'application/octet-stream';
}

/** `IMG_3479(1).JPG` → `IMG_3479.JPG`: the `(n)` Takeout adds to same-named files of one folder (§8.3). */
export function unnumbered(name: string): string {
  const ext = extensionOf(name);
  const stem = stemOf(name);
  const plain = DUPLICATE_INDEX.exec(stem)?.[1] ?? stem;
  return ext === '' ? plain : `${plain}.${ext}`;
}

/**
 * The item's id. With a CRC-32 (zip parts list one; a tgz's is computed as it is scanned): its
 * name without the `(n)` of its folder, size and CRC-32, whatever folder or part or archive
 * format it is in, so the year and album copies of one photo are one item (Takeout numbers
 * same-named files per folder: `IMG(1).JPG` in a year folder can be `IMG.JPG` in an album), and
 * a re-import finds what it stored before. Without one (an extracted folder, whose files are not
 * read to scan it), name and size could make two photos one (camera counters wrap, RAW files have
 * one size), so the id is the name as it is in its folder, the size and the folder; the same photo met in another folder is then
 * recognised when it is stored (same name, capture time, size and sha256: takeout-store.ts).
 */
export function takeoutItemId(entry: { readonly name: string; readonly size: number; readonly crc?: number | undefined; readonly folder: string }): string {
  const name = entry.name.normalize('NFC');
  // Without a CRC, the name as it is in its folder (where it is unique): never two files as one.
  const key = entry.crc === undefined ? `${name}\0${entry.size}\0folder:${entry.folder.normalize('NFC')}` : `${unnumbered(name)}\0${entry.size}\0crc:${entry.crc}`;
  const hash = createHash('sha256').update(key).digest('hex');
  return `takeout-${hash.slice(0, 32)}`;
}

/** Year folders first, then albums, then the rest: the order in which copies are found (the first is read). */
function folderRank(kind: TakeoutFolderKind): number {
  return kind === 'year' ? 0 : kind === 'album' ? 1 : 2;
}

function leftOut(kind: TakeoutFolderKind, options: PlanOptions): boolean {
  return (kind === 'trash' && !options.includeTrash) || (kind === 'failed-videos' && !options.includeFailedVideos);
}

class Planner {
  items = 0;
  duplicates = 0;
  unmatched = 0;
  unusedSidecars = 0;
  unreadableSidecars = 0;
  readonly unreadableSample: string[] = [];
  leftOut = 0;
  albums = 0;
  readonly unmatchedSample: string[] = [];

  constructor(
    private readonly catalog: TakeoutCatalog,
    /** Whether a part is still where it was scanned, unchanged (a moved or deleted part is not). */
    private readonly present: (part: number) => boolean,
  ) {}

  /** Plans one folder: its album metadata, then its media files. */
  folder(folder: string, kind: TakeoutFolderKind): void {
    // A name in several parts (one part scanned at two paths: moved, copied): the copy still there.
    const byName = new Map<string, CatalogEntry>();
    for (const entry of this.catalog.entriesIn(folder)) {
      const known = byName.get(entry.name);
      if (!known || (!this.present(known.part) && this.present(entry.part))) byName.set(entry.name, entry);
    }
    const match = matchFolder([...byName.keys()]);
    if (kind === 'album') this.album(folder, match.albumMetadata.map((name) => byName.get(name)?.text));
    this.unusedSidecars += match.unusedSidecars.length;
    for (const media of match.media.values()) {
      const entry = byName.get(media.name);
      if (entry) this.media(entry, media, match.media, byName, kind === 'album');
    }
  }

  private album(folder: string, texts: readonly (string | undefined)[]): void {
    const text = texts.find((t) => t !== undefined);
    let meta: Record<string, unknown> = {};
    try {
      if (text !== undefined) meta = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // an album JSON that does not parse: the album keeps its folder name
    }
    const title = typeof meta.title === 'string' && meta.title !== '' ? meta.title : folder;
    this.catalog.putAlbum(folder, JSON.stringify({ folder, title, ...(typeof meta.description === 'string' && meta.description ? { description: meta.description } : {}) }));
    this.albums++;
  }

  private media(entry: CatalogEntry, media: MediaMatch, all: ReadonlyMap<string, MediaMatch>, byName: ReadonlyMap<string, CatalogEntry>, inAlbum: boolean): void {
    const id = takeoutItemId(entry);
    if (inAlbum) this.catalog.putAlbumItem(entry.folder, id);
    const earlier = this.catalog.item(id);
    if (earlier !== undefined) {
      this.duplicates++;
      const item = JSON.parse(earlier) as TakeoutItem;
      const better = this.merged(item, entry, media.sidecar !== undefined, () => this.itemOf(id, entry, media, all, byName));
      this.catalog.putItem(id, better.part, better.index, JSON.stringify({ ...better, folders: [...item.folders, entry.folder] }));
      return;
    }
    const item = this.itemOf(id, entry, media, all, byName);
    this.catalog.putItem(id, item.part, item.index, JSON.stringify(item));
    this.items++;
    if (item.sidecar === undefined) {
      this.unmatched++;
      if (this.unmatchedSample.length < SAMPLE) this.unmatchedSample.push(`${entry.folder}/${entry.name}`);
    }
  }

  private unreadable(sidecar: CatalogEntry): void {
    this.unreadableSidecars++;
    if (this.unreadableSample.length < SAMPLE) this.unreadableSample.push(`${sidecar.folder}/${sidecar.name}`);
  }

  /**
   * One item met again in another folder: it takes this copy's JSON when it had none, and reads
   * its bytes from this copy when its own copy's part is gone (same bytes: same size and CRC-32).
   */
  private merged(item: TakeoutItem, entry: CatalogEntry, hasSidecar: boolean, copy: () => TakeoutItem): TakeoutItem {
    const keepBytes = this.present(item.part) || !this.present(entry.part);
    if (item.sidecar === undefined && hasSidecar) {
      const fresh = copy();
      return keepBytes && !this.present(fresh.part) ? { ...fresh, part: item.part, index: item.index } : fresh;
    }
    return keepBytes ? item : { ...item, part: entry.part, index: entry.index };
  }

  private itemOf(id: string, entry: CatalogEntry, media: MediaMatch, all: ReadonlyMap<string, MediaMatch>, byName: ReadonlyMap<string, CatalogEntry>): TakeoutItem {
    const sidecar = media.sidecar === undefined ? undefined : byName.get(media.sidecar);
    const metadata = sidecar?.text === undefined ? undefined : parseSidecar(sidecar.text);
    if (sidecar?.text !== undefined && metadata === undefined) this.unreadable(sidecar);
    const original = media.of === undefined ? undefined : byName.get(media.of);
    return {
      id,
      name: entry.name,
      mimeType: mimeTypeOf(entry.name),
      size: entry.size,
      part: entry.part,
      index: entry.index,
      folder: entry.folder,
      folders: [entry.folder],
      role: media.role,
      ...(original && all.has(original.name) ? { of: takeoutItemId(original) } : {}),
      ...(sidecar && media.how ? { sidecar: { part: sidecar.part, index: sidecar.index, name: sidecar.name, how: media.how } } : {}),
      ...(metadata ? { metadata } : {}),
    };
  }
}

/**
 * Makes the plan from every scanned part of the catalog, replacing the last one. `present` says
 * which parts are still where they were scanned: copies in them are read rather than those in
 * parts moved or deleted since (a JSON of a deleted part still dates its photo).
 */
export function planImport(catalog: TakeoutCatalog, options: PlanOptions, present: (part: number) => boolean = () => true): PlanSummary {
  catalog.clearPlan();
  const planner = new Planner(catalog, present);
  const folders = catalog.folders().sort((a, b) => folderRank(a.kind) - folderRank(b.kind) || (a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0));
  for (const { folder, kind } of folders) {
    if (leftOut(kind, options)) {
      // By name: one part scanned at two paths holds the same files twice.
      planner.leftOut += new Set(catalog.entriesIn(folder).filter((e) => e.kind === 'media').map((e) => e.name)).size;
      continue;
    }
    catalog.writing(() => planner.folder(folder, kind));
  }
  const { items, duplicates, unmatched, unmatchedSample, unusedSidecars, unreadableSidecars, unreadableSample, albums } = planner;
  return { items, duplicates, unmatched, unmatchedSample, unusedSidecars, unreadableSidecars, unreadableSample, leftOut: planner.leftOut, albums };
}
