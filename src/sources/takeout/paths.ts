// Where one entry of a Google Takeout archive sits in the "Google Photos" export, from its path
// alone: the folder under the (localized) top folder, what kind of folder that is, and whether the
// file is an album's metadata, a media file's JSON sidecar, a media file or something else.
// Rules and names come from google-photos-api.md §8.2 (layout, localized names) and §8.5 (the
// tools' folder lists); each localized list below says where its names come from. None of the
// lists is exhaustive: Takeout localizes these names into every language Google Photos speaks,
// and only the names that other tools have met in real exports are listed here.
// Names are compared after NFC normalisation (archives made on macOS can carry NFD names).

export type TakeoutFolderKind =
  /** Files right inside the top folder (print-subscriptions.json and the like). */
  | 'root'
  /** `Photos from YYYY`: everything taken that year. */
  | 'year'
  | 'album'
  | 'trash'
  | 'archive'
  | 'locked'
  /** "Failed Videos": videos Google could not read. */
  | 'failed-videos';

export type TakeoutFileKind = 'album-metadata' | 'sidecar' | 'media' | 'other';

export type MediaKind = 'image' | 'video';

export interface TakeoutPath {
  /** The entry path exactly as given. */
  readonly path: string;
  /** The top folder's name as it appears in the archive (NFC), e.g. `Google Fotos`. */
  readonly topFolder: string;
  /** The folder relative to the top folder (NFC, '/'-separated); '' for files right in it. */
  readonly folder: string;
  readonly folderKind: TakeoutFolderKind;
  /** The year of a `year` folder. */
  readonly year?: number;
  /** An album folder with Google's localized "Untitled" name (all such albums may share one). */
  readonly untitled?: true;
  /** The file name (NFC). */
  readonly name: string;
  readonly fileKind: TakeoutFileKind;
}

/**
 * The top folder's name per language: §8.2 (en/fr, it, de, sk, ru, bg, from immich-go's notes) and
 * the Google Photos product name in further languages as other Takeout tools list it (nl with the
 * apostrophe Takeout turns into `_`, as in GPTH Neo's `Foto_s van` year folders).
 */
const TOP_FOLDERS = new Set(
  [
    'Google Photos', 'Google Foto', 'Google Fotos', 'Fotky Google', 'Google Фото', 'Google Снимки',
    "Google Foto's", 'Google Foto_s', 'Zdjęcia Google', 'Photos Google', 'Google Foton', 'Google Kuvat',
    'Google Fotók', 'Google Fotoğraflar', 'Google Bilder', 'Google Billeder', 'Google フォト', 'Google 포토',
    'Google 相片', 'Google 照片',
  ].map(folded),
);

/** Year folders: GPTH Neo's localized prefixes (§8.5), plus the Dutch one before Takeout's `_`. */
const YEAR_FOLDER = /^(?:photos from|fotos del|fotos von|foto da|foto_s van|foto's van) (\d{4})$/u;

/** Special folders: GPTH Neo's `specialFolders` (§8.5) and "Bin" (UK English). */
const SPECIAL_FOLDERS = new Map<string, TakeoutFolderKind>([
  ...['trash', 'bin', 'papierkorb', 'corbeille', 'cestino', 'papelera', 'lixeira', 'prullenbak', 'корзина', 'kosz',
    'paperera', '回收站', 'ゴミ箱'].map((name) => [name, 'trash'] as const),
  ...['archive', 'archiver', 'archiv', 'archivieren', 'archivio', 'archivo', 'arquivo', 'archief', 'archiveren',
    'архив', 'archiwum', 'arxiu', '档案', 'アーカイブ'].map((name) => [name, 'archive'] as const),
  ...['locked folder', 'carpeta privada'].map((name) => [name, 'locked'] as const),
  // Only the English name is known: immich-go (whose author reads French exports) and the other
  // tools discard "Failed Videos" by that name alone, which suggests Takeout does not localize it.
  ['failed videos', 'failed-videos'],
]);

/** Untitled albums, GPTH Neo's `untitledAlbums` (§8.2: "Untitled", "Sans titre(9)"). */
const UNTITLED_ALBUM = /^(?:untitled|sin título|sem título|senza nome|sans titre|unbenannt|ohne titel|naamloos|без названия|bez tytułu|无标题|無題|sense títol)(?:\s*\(\d+\))?$/u;

/**
 * Album metadata files: §8.2 (metadata, métadonnées, metadati, Metadaten, метаданные) and
 * immich-go's notes (metadáta sk, метаданни bg, metadatos es, metadades ca).
 */
const ALBUM_METADATA = new Set(
  ['metadata.json', 'métadonnées.json', 'metadati.json', 'metadaten.json', 'метаданные.json', 'metadáta.json',
    'метаданни.json', 'metadatos.json', 'metadades.json'].map(folded),
);

/** JSON files of the export that describe no media file (immich-go's list, §8.5). */
const OTHER_JSON = new Set(
  ['print-subscriptions.json', 'shared_album_comments.json', 'user-generated-memory-titles.json',
    'commentaires_albums_partagés.json'].map(folded),
);

/** Files an operating system leaves beside photos when an export is unpacked and re-packed. */
const SYSTEM_FILES = new Set(['.ds_store', 'thumbs.db', 'desktop.ini']);

/**
 * Media extensions, lower case: the photo (AVIF included), camera RAW and video formats Google
 * Photos takes, and the Pixel motion parts of §8.3 (`.MP`, `.MV`), with GPTH Neo's `.MP~2` edited
 * alternates and `.COVER` album covers (its `MediaExtensions`).
 */
const IMAGE_EXTENSIONS = new Set([
  'jpg', 'jpeg', 'jpe', 'png', 'gif', 'heic', 'heif', 'avif', 'webp', 'bmp', 'tif', 'tiff',
  'dng', 'cr2', 'cr3', 'crw', 'nef', 'nrw', 'arw', 'srw', 'orf', 'rw2', 'raf', 'pef',
]);
const VIDEO_EXTENSIONS = new Set([
  'mp4', 'mov', 'm4v', '3gp', '3g2', 'avi', 'mkv', 'mts', 'm2ts', 'm2t', 'wmv', 'asf', 'webm', 'mpg', 'mpeg',
  'mod', 'tod', 'mmv', 'divx', 'mp', 'mv', 'cover',
]);
const MOTION_ALTERNATE = /^mp~\d+$/;

/** Lower case, NFC, trimmed: how folder and file names are compared. */
export function folded(name: string): string {
  return name.normalize('NFC').trim().toLowerCase();
}

/** The extension after the last dot (without it), or '' when the name has none. */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return '';
  const ext = name.slice(dot + 1);
  // "Mr. Smith" has no extension: an extension is short and has no spaces.
  return ext.length <= 10 && !/\s/u.test(ext) ? ext : '';
}

/** `stem(n)`: the number Takeout adds to same-named files of one folder (§8.3), and the stem before it. */
export const DUPLICATE_INDEX = /^(.+)\((\d+)\)$/su;

/** The name without its extension (and without the dot before it). */
export function stemOf(name: string): string {
  const ext = extensionOf(name);
  return ext === '' ? name : name.slice(0, name.length - ext.length - 1);
}

/** Whether a file name is a photo or a video by its extension (case-insensitive), if either. */
export function mediaKindOf(name: string): MediaKind | undefined {
  const ext = extensionOf(name).toLowerCase();
  if (IMAGE_EXTENSIONS.has(ext)) return 'image';
  if (VIDEO_EXTENSIONS.has(ext) || MOTION_ALTERNATE.test(ext)) return 'video';
  return undefined;
}

/** macOS AppleDouble `._` files, `.DS_Store`, Windows `Thumbs.db` and `desktop.ini`. */
export function isSystemFile(name: string): boolean {
  const key = folded(name);
  return key.startsWith('._') || SYSTEM_FILES.has(key);
}

/** What one file of a Google Photos folder is, from its name alone. */
export function takeoutFileKind(name: string): TakeoutFileKind {
  const key = folded(name);
  if (isSystemFile(key)) return 'other';
  if (key.endsWith('.json')) {
    if (ALBUM_METADATA.has(key)) return 'album-metadata';
    return OTHER_JSON.has(key) ? 'other' : 'sidecar';
  }
  return mediaKindOf(key) ? 'media' : 'other';
}

/** The kind of a folder right under the top folder, with the year of a year folder. */
export function takeoutFolderKind(folder: string): { kind: TakeoutFolderKind; year?: number; untitled?: true } {
  const key = folded(folder);
  if (key === '') return { kind: 'root' };
  const year = YEAR_FOLDER.exec(key)?.[1];
  if (year !== undefined) return { kind: 'year', year: Number(year) };
  const special = SPECIAL_FOLDERS.get(key);
  if (special) return { kind: special };
  return UNTITLED_ALBUM.test(key) ? { kind: 'album', untitled: true } : { kind: 'album' };
}

/** The index of the top folder: the first segment, or the one right after a `Takeout` segment. */
function topFolderIndex(segments: readonly string[]): number {
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i] ?? '';
    const afterTakeout = i === 0 || folded(segments[i - 1] ?? '') === 'takeout';
    if (afterTakeout && TOP_FOLDERS.has(folded(segment))) return i;
  }
  return -1;
}

/**
 * Classifies one archive entry path (`Takeout/Google Photos/Photos from 2023/IMG_1.jpg`).
 * Returns undefined for directories and for entries outside a Google Photos top folder (other
 * Google products, `Takeout/archive_browser.html`, macOS `__MACOSX/` copies).
 */
export function classifyTakeoutPath(path: string): TakeoutPath | undefined {
  const segments = path.replace(/^(?:\.?\/)+/u, '').split('/').filter((segment) => segment !== '');
  if (path.endsWith('/') || segments.some((segment) => segment === '__MACOSX')) return undefined;
  const top = topFolderIndex(segments);
  if (top < 0) return undefined;
  const inside = segments.slice(top + 1).map((segment) => segment.normalize('NFC'));
  const name = inside.pop() ?? '';
  const folder = inside.join('/');
  const { kind, year, untitled } = takeoutFolderKind(inside[0] ?? '');
  return {
    path,
    topFolder: (segments[top] ?? '').normalize('NFC'),
    folder,
    folderKind: kind,
    ...(year !== undefined ? { year } : {}),
    ...(untitled ? { untitled } : {}),
    name,
    fileKind: takeoutFileKind(name),
  };
}
