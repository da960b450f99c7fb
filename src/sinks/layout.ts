// Destination layout (DESIGN.md §4): `YYYY/MM/<filename>` by creation time in UTC, names
// sanitised so they can never escape the destination or upset a filesystem, and a short stable
// suffix from the media id when a name is already used by another item.
import { createHash } from 'node:crypto';

/** Room left under the 255-byte name limit for a `.json` sidecar. */
const MAX_NAME_BYTES = 240;
const MAX_EXTENSION_CHARS = 10;

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': '.jpg',
  'image/png': '.png',
  'image/gif': '.gif',
  'image/webp': '.webp',
  'image/heic': '.heic',
  'image/heif': '.heif',
  'image/avif': '.avif',
  'image/tiff': '.tif',
  'image/bmp': '.bmp',
  'image/x-adobe-dng': '.dng',
  'video/mp4': '.mp4',
  'video/quicktime': '.mov',
  'video/x-msvideo': '.avi',
  'video/3gpp': '.3gp',
  'video/webm': '.webm',
  'video/x-matroska': '.mkv',
  'video/mpeg': '.mpg',
};

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
/** C0/C1 controls, DEL, and invisible or direction-changing format characters. */
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
/** Characters that are path separators or forbidden on common filesystems (Windows, SMB shares). */
const FORBIDDEN_CHARS = /[/\\:*?"<>|]/g;

/** Hex digits from the media id's hash: the same id always gives the same suffix. */
export function idSuffix(mediaId: string, length = 6): string {
  return createHash('sha256').update(mediaId).digest('hex').slice(0, length);
}

function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out;
}

function splitExtension(name: string): { stem: string; ext: string } {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || name.length - dot - 1 > MAX_EXTENSION_CHARS || /\s/.test(name.slice(dot))) return { stem: name, ext: '' };
  return { stem: name.slice(0, dot), ext: name.slice(dot) };
}

/**
 * A safe file name for a media item: NFC, no separators, control or invisible characters, no
 * '.'/'..', no leading dot (hidden files and the `.gphotos-backup` directory stay ours), no
 * trailing dots or spaces, no reserved device names, an extension from the MIME type when the
 * name has none, at most 240 bytes. Never empty.
 */
export function sanitizeFilename(filename: string, mediaId: string, mimeType: string): string {
  let name = filename.normalize('NFC').replace(UNSAFE_CHARS, '').replace(FORBIDDEN_CHARS, '_');
  name = name.replace(/^[\s.]+/, '').replace(/[\s.]+$/, '');
  if (name === '') name = `item-${idSuffix(mediaId, 12)}`;
  let { stem, ext } = splitExtension(name);
  if (ext === '') ext = EXTENSIONS[mimeType.toLowerCase()] ?? '';
  if (WINDOWS_RESERVED.test(stem) || WINDOWS_RESERVED.test(name)) stem = `_${stem}`;
  stem = truncateUtf8(stem, MAX_NAME_BYTES - Buffer.byteLength(ext) - 8 /* room for ~suffix */).replace(/[\s.]+$/, '');
  if (stem === '') stem = `item-${idSuffix(mediaId, 12)}`;
  return `${stem}${ext}`;
}

/** `IMG_0001.JPG` → `IMG_0001~a1b2c3.JPG` (longer suffixes if even that is taken). */
export function withSuffix(name: string, mediaId: string, length = 6): string {
  const { stem, ext } = splitExtension(name);
  return `${stem}~${idSuffix(mediaId, length)}${ext}`;
}

/** Where items without a usable capture date go (DESIGN.md §4): never 1970/01. */
export const UNDATED_FOLDER = 'unknown-date';

/**
 * The capture time in ms, or undefined for an item without a usable date: none given, not a
 * date, outside years 0-9999, or exactly the Unix epoch (what an unset timestamp turns into).
 */
export function captureTimeMs(creationTime: string | undefined): number | undefined {
  if (creationTime === undefined) return undefined;
  const ms = Date.parse(creationTime);
  if (Number.isNaN(ms) || ms === 0) return undefined;
  const year = new Date(ms).getUTCFullYear();
  return year < 0 || year > 9999 ? undefined : ms;
}

/** `YYYY/MM` of the creation time in UTC; `unknown-date` when Google gave none we can use. */
export function dateFolder(creationTime: string | undefined): string {
  const ms = captureTimeMs(creationTime);
  if (ms === undefined) return UNDATED_FOLDER;
  const date = new Date(ms);
  return `${String(date.getUTCFullYear()).padStart(4, '0')}/${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
}

/**
 * The keys to try for an item, in order: the plain name, then ever longer id suffixes. An item
 * without a name is called `item-<hash of its id><extension from its MIME type>`.
 */
export function candidateKeys(item: { id: string; filename?: string; mimeType?: string; creationTime?: string }): string[] {
  const folder = dateFolder(item.creationTime);
  const name = sanitizeFilename(item.filename ?? '', item.id, item.mimeType ?? '');
  return [name, withSuffix(name, item.id, 6), withSuffix(name, item.id, 12), withSuffix(name, item.id, 64)].map((n) => `${folder}/${n}`);
}

/** True when a relative key stays inside the destination (defence in depth for every write). */
export function isSafeKey(key: string): boolean {
  if (key === '' || key.startsWith('/') || key.includes('\\') || key.includes('\0')) return false;
  return key.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}
