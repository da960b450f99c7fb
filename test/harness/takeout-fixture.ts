// Synthetic Google Takeout exports for the Takeout importer's tests and benchmark, written from the
// facts in google-photos-api.md §8: parts named `takeout-…-NNN.zip|tgz` (§8.1) with a media file's
// JSON sometimes in another part and a folder spread over several parts, the `Takeout/Google
// Photos/` layout with year, album, Trash and "Failed Videos" folders (§8.2), every sidecar naming
// quirk of §8.3 (old and new forms, the 46-character clip, duplicate numbering, a JSON without the
// media extension or with another spelling of it, edited copies, Live Photos, Pixel motion
// parts, NFD and emoji names) and sidecar JSON with the fields of §8.4.
//
// Everything comes from a small seeded PRNG (sfc32), so one seed gives the same items in both
// formats and the same archive bytes on one machine (zip DOS times are local time). Bulk items for
// a benchmark are generated chunk by chunk while the archive is written and never held whole.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, stat, truncate } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import * as tar from 'tar-stream';
import * as yazl from 'yazl';
import type { SidecarRule } from '../../src/sources/takeout/sidecar-match.js';
import { tempDir } from './tmp.js';

export type FixtureFormat = 'zip' | 'tgz';

export interface FixtureOptions {
  readonly format: FixtureFormat;
  /** Number of parts the export is split into (default 3). Entries are spread over parts so that some media sit in another part than their JSON, and one folder spans several parts. */
  readonly parts?: number;
  readonly seed?: number;
  /** Top folder name (default 'Google Photos'; e.g. 'Google Fotos'). */
  readonly topFolder?: string;
  /** Year folder prefix (default 'Photos from'; e.g. 'Fotos von'). */
  readonly yearPrefix?: string;
  /** Trash folder name (default 'Trash'; e.g. 'Corbeille', 'Papierkorb'). */
  readonly trashFolder?: string;
  /** Write zip entries with Zip64 records (yazl forceZip64Format). */
  readonly zip64?: boolean;
  /** Extra bulk items for a benchmark: count and bytes each (bodies streamed from a PRNG, never held whole); default none. */
  readonly bulk?: { readonly count: number; readonly bytes: number };
  /** Deflate media entries (default false: stored, as large media barely compress). JSON is always deflated. Zip only. */
  readonly compressMedia?: boolean;
  /** tgz: the gzip level (default 6, zlib's default). A benchmark may pass 0 or 1: gzip of random bulk bytes runs at ~40 MB/s at any level above 0, and zlib writes incompressible data as stored blocks anyway, so reading costs the same. */
  readonly gzipLevel?: number;
  /** Archive name prefix (default 'takeout-20250102T030405Z'): parts are `<prefix>-001.zip`, `-002.zip`, … or `.tgz`. */
  readonly name?: string;
}

/** One place where a media file appears in the export. */
export interface ItemCopy {
  /** The folder relative to the top folder. */
  readonly folder: string;
  /** The media entry's archive path. */
  readonly path: string;
  readonly part: number;
  /** The archive path of the JSON that describes it in this folder (its own, or the one it shares). */
  readonly jsonPath?: string;
  readonly jsonPart?: number;
}

export interface ExpectedItem {
  /** A stable label for assertions, e.g. 'old-json', 'supplemental', 'clipped-46', 'numbered(1)', 'edited', 'live-still', 'live-clip', 'pixel-mp', 'no-ext-json', 'other-ext-json', 'unmatched', 'album-only', 'bulk-17'. */
  readonly label: string;
  /** The media file name as it appears in the archive. */
  readonly name: string;
  /** Every folder (relative to the top folder) where the same media file appears: a year folder and/or album folders. The importer must store it once. */
  readonly folders: readonly string[];
  readonly size: number;
  readonly sha256: string;
  /** photoTakenTime in Unix seconds as the JSON gives it; undefined when there is no JSON or it says "0". */
  readonly takenAt?: number;
  /** The capture time inside the file (EXIF DateTimeOriginal, UTC), Unix seconds: what dates it when the JSON does not. */
  readonly exifTakenAt?: number;
  /** geoDataExif when it is not 0,0, else geoData when that is not 0,0 (immich-go's rule, §8.4); else undefined. */
  readonly geo?: { readonly latitude: number; readonly longitude: number; readonly altitude: number };
  readonly role: 'original' | 'edited' | 'live-companion' | 'motion-companion';
  /** The original/still it belongs to (its `name`), for edited copies and companions. */
  readonly of?: string;
  /** The JSON sidecar file name that describes it (undefined when it has none). A companion/edited copy without its own JSON: the original's JSON name. */
  readonly sidecar?: string;
  /** The rule by which src/sources/takeout/sidecar-match.ts finds `sidecar` (its `how`). */
  readonly rule?: SidecarRule;
  /** The sidecar's exact bytes as written into the archive (text), when it has one of its own. */
  readonly json?: string;
  /** 1-based part numbers holding the media and its JSON (of the first copy, `copies[0]`; for a shared JSON, the part of that JSON in the same folder). */
  readonly mediaPart: number;
  readonly jsonPart?: number;
  /** Each folder's copy, in the order of `folders`. */
  readonly copies: readonly ItemCopy[];
}

export type FixtureEntryKind = 'media' | 'sidecar' | 'album-metadata' | 'other';

/** One file entry of one part. */
export interface FixtureEntry {
  readonly path: string;
  readonly part: number;
  readonly size: number;
  readonly sha256: string;
  readonly kind: FixtureEntryKind;
  /** Deflated in the zip (tgz: the whole part is gzipped). */
  readonly compressed: boolean;
}

export interface TakeoutFixture {
  readonly parts: readonly string[]; // absolute paths, in order
  readonly items: readonly ExpectedItem[]; // every media file an import must store (each once)
  /** Entries that an import must skip by default: Trash and "Failed Videos" contents (archive paths). */
  readonly skipped: readonly string[];
  /** Albums: folder name → album title (from the album metadata.json) and the `name`s of the items in it. */
  readonly albums: readonly { readonly folder: string; readonly title: string; readonly items: readonly string[] }[];
  /** Media files with no JSON at all (stored anyway, reported as unmatched): their names. */
  readonly unmatched: readonly string[];
  /** Total bytes of the parts. */
  readonly bytes: number;
  /** Every file entry of every part, in archive order (part by part). */
  readonly entries: readonly FixtureEntry[];
  /** Archive paths of entries that are neither media nor sidecars nor album metadata (`archive_browser.html`, `print-subscriptions.json`, `.DS_Store`). */
  readonly nonMedia: readonly string[];
  /** The top folder as written (`Takeout/<topFolder>/`). */
  readonly topFolder: string;
}

// ---- PRNG -------------------------------------------------------------------------------------

/** sfc32, seeded through splitmix32: small, fast, and the same on every platform. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const split = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor((this.next() / 0x1_0000_0000) * (max - min + 1));
  }

  /** A float in [min, max). */
  float(min: number, max: number): number {
    return min + (this.next() / 0x1_0000_0000) * (max - min);
  }

  /** `n` random bytes. */
  bytes(n: number): Buffer {
    const words = new Uint32Array(Math.ceil(n / 4));
    for (let i = 0; i < words.length; i++) words[i] = this.next();
    return Buffer.from(words.buffer, 0, n);
  }
}

// ---- Names (§8.3) -----------------------------------------------------------------------------

const SUPPLEMENTAL = '.supplemental-metadata';
/** Google clips the part of a sidecar's name before `(n)` and `.json` to 46 characters (code points). */
const CLIP = 46;

/**
 * The JSON name Google writes for a file titled `title`: old form `<title>.json` or new form
 * `<title>.supplemental-metadata.json`, the part before `.json` clipped to 46 code points, then the
 * duplicate number `(n)` (never clipped) and `.json`.
 */
export function sidecarName(title: string, form: 'old' | 'new', index?: number): string {
  const base = form === 'new' ? `${title}${SUPPLEMENTAL}` : title;
  return `${[...base].slice(0, CLIP).join('')}${index === undefined ? '' : `(${index})`}.json`;
}

// ---- Media bytes ------------------------------------------------------------------------------

type MediaType = 'jpeg' | 'heic' | 'mov' | 'mp4';

const JPEG_HEAD = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);

/** An ISO BMFF `ftyp` box with a major brand and compatible brands. */
function ftyp(major: string, ...compatible: string[]): Buffer {
  const brands = [major, '\0\0\u0002\0', ...compatible];
  const body = Buffer.from(brands.join(''), 'latin1');
  const size = Buffer.alloc(4);
  size.writeUInt32BE(8 + body.length);
  return Buffer.concat([size, Buffer.from('ftyp', 'latin1'), body]);
}

const HEADS: Readonly<Record<MediaType, Buffer>> = {
  jpeg: JPEG_HEAD,
  heic: ftyp('heic', 'mif1', 'heic'),
  mov: ftyp('qt  ', 'qt  '),
  mp4: ftyp('isom', 'isom', 'mp42'),
};

/**
 * An Exif APP1 segment holding only DateTimeOriginal (`YYYY:MM:DD HH:MM:SS`, no zone): TIFF
 * little-endian, IFD0 with the Exif IFD pointer, the Exif IFD with tag 0x9003.
 */
function exifSegment(dateTime: string): Buffer {
  const tiff = Buffer.alloc(64);
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  const entry = (at: number, tag: number, type: number, count: number, value: number) => {
    tiff.writeUInt16LE(1, at);
    tiff.writeUInt16LE(tag, at + 2);
    tiff.writeUInt16LE(type, at + 4);
    tiff.writeUInt32LE(count, at + 6);
    tiff.writeUInt32LE(value, at + 10);
    tiff.writeUInt32LE(0, at + 14);
  };
  entry(8, 0x8769, 4, 1, 26);
  entry(26, 0x9003, 2, 20, 44);
  tiff.write(`${dateTime}\0`, 44, 'latin1');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(2 + 6 + tiff.length);
  return Buffer.concat([Buffer.from([0xff, 0xe1]), length, Buffer.from('Exif\0\0', 'latin1'), tiff]);
}

/** Small media bytes that look like their type at the start and are random after it (a JPEG with `exif`: that capture time inside). */
function mediaBytes(prng: Prng, type: MediaType, exif?: string): Buffer {
  const head = type === 'jpeg' && exif !== undefined ? Buffer.concat([Buffer.from([0xff, 0xd8]), exifSegment(exif), JPEG_HEAD.subarray(2)]) : HEADS[type];
  const body = prng.bytes(prng.int(300, 4000));
  const tail = type === 'jpeg' ? Buffer.from([0xff, 0xd9]) : Buffer.alloc(0);
  return Buffer.concat([head, body, tail]);
}

/** The chunks of a bulk body: JPEG start bytes, then PRNG bytes; hashes them as they go. */
function* bulkChunks(seed: number, size: number, done: (sha256: string) => void): Generator<Buffer> {
  const prng = new Prng(seed);
  const hash = createHash('sha256');
  const chunkSize = 64 * 1024;
  let left = size;
  let first = true;
  while (left > 0) {
    const n = Math.min(chunkSize, left);
    const chunk = prng.bytes(n);
    if (first) {
      JPEG_HEAD.copy(chunk, 0, 0, Math.min(JPEG_HEAD.length, n));
      first = false;
    }
    hash.update(chunk);
    left -= n;
    yield chunk;
  }
  done(hash.digest('hex'));
}

// ---- Sidecar JSON (§8.4) ----------------------------------------------------------------------

interface Geo {
  readonly latitude: number;
  readonly longitude: number;
  readonly altitude: number;
}

interface Meta {
  readonly title: string;
  readonly takenAt: number;
  /** geoData / geoDataExif: absent (undefined), all zeros ('zero') or a place. */
  readonly geoData?: Geo | 'zero';
  readonly geoDataExif?: Geo | 'zero';
  readonly description?: string;
  readonly favorited?: true;
  readonly people?: readonly string[];
  readonly trashed?: true;
  readonly origin: 'android' | 'ios' | 'web';
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Oct 6, 2023, 6:30:00 AM UTC`: the English form of Takeout's (localized) `formatted`. */
function formatted(seconds: number): string {
  const d = new Date(seconds * 1000);
  const hours = d.getUTCHours();
  const two = (n: number) => String(n).padStart(2, '0');
  const clock = `${hours % 12 === 0 ? 12 : hours % 12}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${hours < 12 ? 'AM' : 'PM'}`;
  return `${MONTHS[d.getUTCMonth()] ?? ''} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${clock} UTC`;
}

function timeField(seconds: number): { timestamp: string; formatted: string } {
  return { timestamp: String(seconds), formatted: formatted(seconds) };
}

function geoField(geo: Geo | 'zero'): Record<string, number> {
  const { latitude, longitude, altitude } = geo === 'zero' ? { latitude: 0, longitude: 0, altitude: 0 } : geo;
  return { latitude, longitude, altitude, latitudeSpan: 0, longitudeSpan: 0 };
}

const URL_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function sidecarJson(meta: Meta, prng: Prng, urls: Set<string>): string {
  let url: string;
  do {
    let id = '';
    for (let i = 0; i < 38; i++) id += URL_CHARS[prng.int(0, URL_CHARS.length - 1)] ?? '';
    url = `https://photos.google.com/photo/AF1Qip${id}`;
  } while (urls.has(url));
  urls.add(url);
  const created = Math.max(meta.takenAt, 1_500_000_000) + prng.int(60, 400 * 86_400);
  const origin =
    meta.origin === 'web' ? { webUpload: { computerUpload: {} } }
    : { mobileUpload: { deviceFolder: { localFolderName: '' }, deviceType: meta.origin === 'ios' ? 'IOS_PHONE' : 'ANDROID_PHONE' } };
  const json: Record<string, unknown> = {
    title: meta.title,
    description: meta.description ?? '',
    imageViews: String(prng.int(0, 40)),
    creationTime: timeField(created),
    photoTakenTime: timeField(meta.takenAt),
    ...(meta.geoData === undefined ? {} : { geoData: geoField(meta.geoData) }),
    ...(meta.geoDataExif === undefined ? {} : { geoDataExif: geoField(meta.geoDataExif) }),
    ...(meta.people === undefined ? {} : { people: meta.people.map((name) => ({ name })) }),
    url,
    googlePhotosOrigin: origin,
    ...(meta.favorited ? { favorited: true } : {}),
    ...(meta.trashed ? { trashed: true } : {}),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** immich-go's reading (§8.4): geoDataExif unless 0,0, then geoData unless 0,0. */
function expectedGeo(meta: Meta): Geo | undefined {
  for (const geo of [meta.geoDataExif, meta.geoData]) {
    if (geo !== undefined && geo !== 'zero' && (geo.latitude !== 0 || geo.longitude !== 0)) return geo;
  }
  return undefined;
}

// ---- The library ------------------------------------------------------------------------------

interface MediaSpec {
  readonly label: string;
  readonly name: string;
  readonly type: MediaType;
  /** Folder keys (see `Library.folders`): the first is where it "lives". */
  readonly folders: readonly string[];
  readonly role: ExpectedItem['role'];
  readonly of?: string;
  /** Its own JSON: name and metadata. */
  readonly own?: { readonly json: string; readonly meta: Meta; readonly rule: SidecarRule };
  /** The label of the item whose JSON it shares (edited copies, companions). */
  readonly shares?: string;
  readonly rule?: SidecarRule;
  /** A capture time in the file's own EXIF (`YYYY:MM:DD HH:MM:SS`, read as UTC). */
  readonly exif?: string;
}

interface LibraryItem {
  readonly spec: MediaSpec;
  readonly bytes: Buffer;
  readonly json?: Buffer;
}

interface PlannedEntry {
  readonly path: string;
  readonly kind: FixtureEntryKind;
  readonly body: Buffer | { readonly seed: number; readonly size: number; readonly bulk: number };
  part: number;
}

function place(prng: Prng, year: number): Geo {
  const places: readonly Geo[] = [
    { latitude: 48.8583736, longitude: 2.291901, altitude: 82.09 },
    { latitude: 43.6959, longitude: 7.2715, altitude: 12.5 },
    { latitude: 52.52, longitude: 13.405, altitude: 34 },
    { latitude: -33.8568, longitude: 151.2153, altitude: 5.2 },
  ];
  const base = places[(year + prng.int(0, 3)) % places.length] ?? places[0];
  const jitter = (n: number) => Math.round((n + prng.float(-0.01, 0.01)) * 1e7) / 1e7;
  return { latitude: jitter(base?.latitude ?? 0), longitude: jitter(base?.longitude ?? 0), altitude: Math.round(prng.float(0, 120) * 100) / 100 };
}

function takenIn(prng: Prng, year: number): number {
  const start = Date.UTC(year, 0, 1) / 1000;
  const end = Date.UTC(year + 1, 0, 1) / 1000;
  return prng.int(start, end - 1);
}

interface Layout {
  readonly year: (year: number) => string;
  readonly trash: string;
}

/** The media files of the library, in the order they are written per folder. */
function librarySpecs(prng: Prng, layout: Layout): { specs: MediaSpec[]; skipped: MediaSpec[] } {
  const y1970 = layout.year(1970);
  const y2019 = layout.year(2019);
  const y2023 = layout.year(2023);
  const holiday = HOLIDAY;
  const birthday = BIRTHDAY;
  const meta = (title: string, year: number, extra: Partial<Meta> = {}): Meta => {
    const geo = place(prng, year);
    return { title, takenAt: takenIn(prng, year), geoData: geo, geoDataExif: geo, origin: 'android', ...extra };
  };
  const own = (title: string, year: number, form: 'old' | 'new', rule: SidecarRule, extra: Partial<Meta> = {}, index?: number) =>
    ({ json: sidecarName(title, form, index), meta: meta(title, year, extra), rule }) as const;
  const nfd = 'Crème brûlée.jpg'.normalize('NFD');
  // 48 characters: over 46, so its JSON is the name cut to `…_n.j.json`.
  const longName = '13039_327707840323_537645323_2721498421456_n.jpg';
  const clippedSupple = 'Screenshot_20231027_123303_Facebook.jpg';
  const pixel = 'PXL_20231006_063000139.MP.jpg';
  const emoji = '🌅 Plage 🏖️.jpg';
  const specs: MediaSpec[] = [
    // Photos from 1970: a photoTakenTime of "0" lands in 1970.
    { label: 'taken-zero', name: 'IMG_0042.jpg', type: 'jpeg', folders: [y1970], role: 'original',
      own: own('IMG_0042.jpg', 1970, 'new', 'supplemental', { takenAt: 0, geoData: 'zero', geoDataExif: 'zero', origin: 'web' }), exif: '2004:05:06 07:08:09' },
    // Photos from 2019.
    { label: 'old-json', name: 'IMG_0001.JPG', type: 'jpeg', folders: [y2019, birthday], role: 'original', own: own('IMG_0001.JPG', 2019, 'old', 'exact', { people: ['Mamie', 'Léa'] }) },
    { label: 'supplemental', name: 'IMG_0002.jpg', type: 'jpeg', folders: [y2019], role: 'original', own: own('IMG_0002.jpg', 2019, 'new', 'supplemental', { favorited: true }) },
    { label: 'numbered', name: 'IMG_3479.JPG', type: 'jpeg', folders: [y2019], role: 'original', own: own('IMG_3479.JPG', 2019, 'old', 'exact') },
    { label: 'numbered(1)', name: 'IMG_3479(1).JPG', type: 'jpeg', folders: [y2019], role: 'original', own: own('IMG_3479.JPG', 2019, 'old', 'numbered', {}, 1) },
    { label: 'scan', name: 'Scan35.jpg', type: 'jpeg', folders: [y2019], role: 'original', own: own('Scan35.jpg', 2019, 'new', 'supplemental', { origin: 'web' }) },
    { label: 'scan(1)', name: 'Scan35(1).jpg', type: 'jpeg', folders: [y2019], role: 'original', own: own('Scan35.jpg', 2019, 'new', 'numbered', { origin: 'web' }, 1) },
    { label: 'no-ext-json', name: 'Peanut Butter Balls.jpg', type: 'jpeg', folders: [y2019], role: 'original',
      own: own('Peanut Butter Balls', 2019, 'new', 'no-extension', { geoData: undefined, geoDataExif: undefined, description: 'Grandma’s recipe' }) },
    { label: 'other-ext-json', name: 'IMG_1234.jpg', type: 'jpeg', folders: [y2019], role: 'original', own: own('IMG_1234.jpeg', 2019, 'old', 'other-extension', { origin: 'ios' }) },
    { label: 'nfd', name: nfd, type: 'jpeg', folders: [y2019], role: 'original',
      // A macOS re-pack: media and JSON names both in NFD (the JSON's title stays NFC).
      own: { ...own('Crème brûlée.jpg', 2019, 'new', 'supplemental'), json: sidecarName('Crème brûlée.jpg', 'new').normalize('NFD') } },
    // An album whose metadata file has a localized name; one photo only there.
    { label: 'album-only', name: 'DSC_0700.jpg', type: 'jpeg', folders: [birthday], role: 'original', own: own('DSC_0700.jpg', 2021, 'new', 'supplemental', { favorited: true, people: ['Mamie'] }) },
    // Photos from 2023 (spans two parts; also the Holiday 2023 album).
    { label: 'clipped-supple', name: clippedSupple, type: 'jpeg', folders: [y2023], role: 'original', own: own(clippedSupple, 2023, 'new', 'clipped', { geoData: 'zero', geoDataExif: 'zero' }) },
    { label: 'clipped-46', name: longName, type: 'jpeg', folders: [y2023], role: 'original', own: own(longName, 2023, 'new', 'clipped', { origin: 'web' }) },
    { label: 'edited-original', name: 'IMG_0005.jpg', type: 'jpeg', folders: [y2023, holiday], role: 'original', own: own('IMG_0005.jpg', 2023, 'new', 'supplemental', { people: ['Alice', 'Bob'] }) },
    { label: 'edited', name: 'IMG_0005-edited.jpg', type: 'jpeg', folders: [y2023], role: 'edited', of: 'IMG_0005.jpg', shares: 'edited-original', rule: 'edited' },
    { label: 'edited-de-original', name: 'IMG_0006.jpg', type: 'jpeg', folders: [y2023], role: 'original', own: own('IMG_0006.jpg', 2023, 'old', 'exact') },
    { label: 'edited-de', name: 'IMG_0006-bearbeitet.jpg', type: 'jpeg', folders: [y2023], role: 'edited', of: 'IMG_0006.jpg', shares: 'edited-de-original', rule: 'edited' },
    { label: 'live-still', name: 'IMG_0100.HEIC', type: 'heic', folders: [y2023, holiday], role: 'original', own: own('IMG_0100.HEIC', 2023, 'new', 'supplemental', { origin: 'ios', favorited: true }) },
    { label: 'live-clip', name: 'IMG_0100.MOV', type: 'mov', folders: [y2023, holiday], role: 'live-companion', of: 'IMG_0100.HEIC', shares: 'live-still', rule: 'live-photo' },
    { label: 'pixel-still', name: pixel, type: 'jpeg', folders: [y2023], role: 'original', own: own(pixel, 2023, 'new', 'clipped') },
    { label: 'pixel-mp', name: 'PXL_20231006_063000139.MP', type: 'mp4', folders: [y2023], role: 'motion-companion', of: pixel, shares: 'pixel-still', rule: 'motion' },
    { label: 'video', name: 'VID_20230101.mp4', type: 'mp4', folders: [y2023, holiday], role: 'original', own: own('VID_20230101.mp4', 2023, 'new', 'supplemental', { favorited: true }) },
    { label: 'emoji', name: emoji, type: 'jpeg', folders: [y2023], role: 'original', own: own(emoji, 2023, 'new', 'supplemental', { description: 'Nice ☀️' }) },
    { label: 'geo-exif', name: 'IMG_0300.jpg', type: 'jpeg', folders: [y2023], role: 'original',
      // Its camera clock was wrong (EXIF in 2011): the JSON's time wins, also when the JSON comes in a later part.
      own: own('IMG_0300.jpg', 2023, 'new', 'supplemental', { geoData: 'zero' }), exif: '2011:01:01 00:00:00' },
    { label: 'unmatched', name: 'IMG_0400.jpg', type: 'jpeg', folders: [y2023], role: 'original', exif: '2023:03:04 05:06:07' },
  ];
  const skipped: MediaSpec[] = [
    { label: 'trashed', name: 'IMG_0900.jpg', type: 'jpeg', folders: [layout.trash], role: 'original', own: own('IMG_0900.jpg', 2022, 'new', 'supplemental', { trashed: true }) },
    { label: 'failed-video', name: 'VID_0901.mp4', type: 'mp4', folders: ['Failed Videos'], role: 'original', own: own('VID_0901.mp4', 2022, 'new', 'supplemental') },
  ];
  return { specs, skipped };
}

interface AlbumSpec {
  readonly folder: string;
  readonly metadataName: string;
  readonly title: string;
  readonly description: string;
  readonly date: number;
}

const HOLIDAY = 'Holiday 2023';
const BIRTHDAY = 'Anniversaire de Mamie';
const ALBUMS: readonly AlbumSpec[] = [
  { folder: BIRTHDAY, metadataName: 'métadonnées.json', title: 'Anniversaire de Mamie', description: '80 ans', date: 1_634_000_000 },
  { folder: HOLIDAY, metadataName: 'metadata.json', title: 'Holiday 2023', description: 'Summer on the Riviera', date: 1_690_000_000 },
];

function albumJson(album: AlbumSpec): string {
  return `${JSON.stringify(
    {
      title: album.title,
      description: album.description,
      access: 'protected',
      date: timeField(album.date),
      location: '',
      geoData: geoField('zero'),
    },
    null,
    2,
  )}\n`;
}

const ARCHIVE_BROWSER = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Archive Overview</title></head>\n<body><h1>Google Photos</h1><p>This archive holds your photos and videos.</p></body></html>\n';
const PRINT_SUBSCRIPTIONS = `${JSON.stringify({ subscriptions: [] }, null, 2)}\n`;
const DS_STORE = Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.from('Bud1', 'latin1'), Buffer.alloc(24)]);

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Which part each core entry goes in: contiguous, equal counts (entry i → floor(i·N/M) + 1). */
function assignParts(entries: PlannedEntry[], parts: number): void {
  entries.forEach((entry, i) => {
    entry.part = Math.floor((i * parts) / entries.length) + 1;
  });
}

// ---- Writing ----------------------------------------------------------------------------------

const EXPORT_TIME = new Date('2025-01-02T03:04:05Z');

interface WriteEntry {
  readonly planned: PlannedEntry;
  readonly compress: boolean;
}

async function writeZip(path: string, entries: readonly WriteEntry[], zip64: boolean, bulkSha: Map<number, string>): Promise<void> {
  const zip = new yazl.ZipFile();
  const out = createWriteStream(path);
  const written = pipeline(zip.outputStream, out);
  for (const { planned, compress } of entries) {
    const options = { mtime: EXPORT_TIME, compress, forceZip64Format: zip64 };
    const body = planned.body;
    if (Buffer.isBuffer(body)) {
      zip.addBuffer(body, planned.path, options);
    } else {
      zip.addReadStreamLazy(planned.path, { ...options, size: body.size }, (cb) => {
        cb(null, Readable.from(bulkChunks(body.seed, body.size, (sha) => bulkSha.set(body.bulk, sha)), { objectMode: false }));
      });
    }
  }
  zip.end({ forceZip64Format: zip64, comment: '' });
  await written;
}

/** Writes to a tar entry with backpressure, then ends it and waits for tar-stream to take it. */
async function writeTarEntry(pack: tar.Pack, name: string, size: number, chunks: Iterable<Buffer>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const sink = pack.entry({ name, size, mtime: EXPORT_TIME, mode: 0o644 }, (err) => (err ? reject(err) : resolve()));
    const pump = async (): Promise<void> => {
      for (const chunk of chunks) {
        if (!sink.write(chunk)) await new Promise<void>((drained) => sink.once('drain', () => drained()));
      }
      sink.end(null);
    };
    pump().catch(reject);
  });
}

async function writeTgz(path: string, entries: readonly WriteEntry[], level: number, bulkSha: Map<number, string>): Promise<void> {
  const pack = tar.pack();
  const written = pipeline(Readable.from(pack as AsyncIterable<Buffer>), createGzip({ level }), createWriteStream(path));
  try {
    for (const { planned } of entries) {
      const body = planned.body;
      if (Buffer.isBuffer(body)) await writeTarEntry(pack, planned.path, body.length, [body]);
      else await writeTarEntry(pack, planned.path, body.size, bulkChunks(body.seed, body.size, (sha) => bulkSha.set(body.bulk, sha)));
    }
    pack.finalize();
  } catch (err) {
    pack.destroy(err instanceof Error ? err : new Error(String(err)));
    await written.catch(() => undefined);
    throw err;
  }
  await written;
}

/** The options that shape every step, resolved once. */
interface Shape {
  readonly options: FixtureOptions;
  readonly partCount: number;
  readonly seed: number;
  readonly topFolder: string;
  readonly layout: Layout;
  readonly inFolder: (folder: string, name: string) => string;
}

interface BulkSpec {
  readonly label: string;
  readonly name: string;
  readonly json: string;
  readonly meta: Meta;
  readonly text: Buffer;
  readonly part: number;
  readonly index: number;
}

function shapeOf(options: FixtureOptions): Shape {
  const partCount = options.parts ?? 3;
  if (!Number.isInteger(partCount) || partCount < 1 || partCount > 20) throw new RangeError(`parts must be 1..20, not ${partCount}`);
  const topFolder = options.topFolder ?? 'Google Photos';
  const yearPrefix = options.yearPrefix ?? 'Photos from';
  const root = `Takeout/${topFolder}`;
  return {
    options,
    partCount,
    seed: options.seed ?? 1,
    topFolder,
    layout: { year: (year) => `${yearPrefix} ${year}`, trash: options.trashFolder ?? 'Trash' },
    inFolder: (folder, name) => (folder === '' ? `${root}/${name}` : `${root}/${folder}/${name}`),
  };
}

/** The library: bytes and JSON of every media file, from the seed alone. */
function buildLibrary(prng: Prng, shape: Shape, urls: Set<string>): { specs: MediaSpec[]; skippedSpecs: MediaSpec[]; library: Map<string, LibraryItem> } {
  const { specs, skipped: skippedSpecs } = librarySpecs(prng, shape.layout);
  const library = new Map<string, LibraryItem>();
  for (const spec of [...specs, ...skippedSpecs]) {
    const bytes = mediaBytes(prng, spec.type, spec.exif);
    const json = spec.own ? Buffer.from(sidecarJson(spec.own.meta, prng, urls), 'utf8') : undefined;
    library.set(spec.label, { spec, bytes, ...(json ? { json } : {}) });
  }
  return { specs, skippedSpecs, library };
}

/**
 * Entries, folder by folder. Photos from 2023 has all its media first and its JSON after, so
 * the part boundary that falls inside it leaves media in one part and their JSON in the next.
 */
function planCore(library: ReadonlyMap<string, LibraryItem>, shape: Shape): PlannedEntry[] {
  const { layout, inFolder } = shape;
  const core: PlannedEntry[] = [];
  const add = (path: string, kind: FixtureEntryKind, body: Buffer) => core.push({ path, kind, body, part: 1 });
  add('Takeout/archive_browser.html', 'other', Buffer.from(ARCHIVE_BROWSER, 'utf8'));
  add(inFolder('', 'print-subscriptions.json'), 'other', Buffer.from(PRINT_SUBSCRIPTIONS, 'utf8'));
  const folderOrder = [layout.year(1970), layout.year(2019), BIRTHDAY, layout.year(2023), HOLIDAY, layout.trash, 'Failed Videos'];
  const all = [...library.values()];
  for (const folder of folderOrder) {
    const album = ALBUMS.find((a) => a.folder === folder);
    if (album) add(inFolder(folder, album.metadataName), 'album-metadata', Buffer.from(albumJson(album), 'utf8'));
    const here = all.filter((item) => item.spec.folders.includes(folder));
    const split = folder === layout.year(2023);
    for (const item of here) {
      add(inFolder(folder, item.spec.name), 'media', item.bytes);
      if (!split && item.json && item.spec.own) add(inFolder(folder, item.spec.own.json), 'sidecar', item.json);
    }
    if (split) {
      add(inFolder(folder, '.DS_Store'), 'other', DS_STORE);
      for (const item of here) if (item.json && item.spec.own) add(inFolder(folder, item.spec.own.json), 'sidecar', item.json);
    }
  }
  assignParts(core, shape.partCount);
  return core;
}

/** Bulk items: Photos from 2024, spread evenly over the parts after their core entries. */
function planBulk(prng: Prng, shape: Shape, urls: Set<string>): { bulkEntries: PlannedEntry[]; bulkSpecs: BulkSpec[] } {
  const bulk = shape.options.bulk ?? { count: 0, bytes: 0 };
  if (!Number.isSafeInteger(bulk.count) || bulk.count < 0 || !Number.isSafeInteger(bulk.bytes) || bulk.bytes < 0) {
    throw new RangeError(`bulk count and bytes must be non-negative integers`);
  }
  const bulkFolder = shape.layout.year(2024);
  const bulkEntries: PlannedEntry[] = [];
  const bulkSpecs: BulkSpec[] = [];
  for (let i = 0; i < bulk.count; i++) {
    const name = `BULK_${String(i).padStart(6, '0')}.jpg`;
    const meta: Meta = { title: name, takenAt: takenIn(prng, 2024), origin: 'android', geoData: 'zero', geoDataExif: 'zero' };
    const text = Buffer.from(sidecarJson(meta, prng, urls), 'utf8');
    const part = Math.floor((i * shape.partCount) / bulk.count) + 1;
    const json = sidecarName(name, 'new');
    bulkSpecs.push({ label: `bulk-${i}`, name, json, meta, text, part, index: i });
    bulkEntries.push({ path: shape.inFolder(bulkFolder, name), kind: 'media', body: { seed: (Math.imul(shape.seed, 1_000_003) + i + 1) >>> 0, size: bulk.bytes, bulk: i }, part });
    bulkEntries.push({ path: shape.inFolder(bulkFolder, json), kind: 'sidecar', body: text, part });
  }
  return { bulkEntries, bulkSpecs };
}

/** Writes the parts; returns their paths and the sha256 of every bulk body (hashed as written). */
async function writeParts(dir: string, shape: Shape, planned: readonly PlannedEntry[]): Promise<{ partPaths: string[]; bulkSha: Map<number, string> }> {
  const { options } = shape;
  await mkdir(dir, { recursive: true });
  const partPaths: string[] = [];
  const bulkSha = new Map<number, string>();
  const compressMedia = options.compressMedia ?? false;
  for (let part = 1; part <= shape.partCount; part++) {
    const path = join(dir, `${options.name ?? 'takeout-20250102T030405Z'}-${String(part).padStart(3, '0')}.${options.format === 'zip' ? 'zip' : 'tgz'}`);
    partPaths.push(path);
    const entries = planned.filter((entry) => entry.part === part).map((entry) => ({ planned: entry, compress: entry.kind === 'media' ? compressMedia : true }));
    if (options.format === 'zip') await writeZip(path, entries, options.zip64 ?? false, bulkSha);
    else await writeTgz(path, entries, options.gzipLevel ?? 6, bulkSha);
  }
  return { partPaths, bulkSha };
}

/** What was written, entry by entry, part by part. */
function writtenEntries(shape: Shape, planned: readonly PlannedEntry[], bulkSha: ReadonlyMap<number, string>): FixtureEntry[] {
  const entries: FixtureEntry[] = [];
  const compressMedia = shape.options.compressMedia ?? false;
  for (let part = 1; part <= shape.partCount; part++) {
    for (const entry of planned.filter((e) => e.part === part)) {
      const body = entry.body;
      const compressed = shape.options.format === 'zip' && (entry.kind !== 'media' || compressMedia);
      if (Buffer.isBuffer(body)) entries.push({ path: entry.path, part, size: body.length, sha256: sha256(body), kind: entry.kind, compressed });
      else entries.push({ path: entry.path, part, size: body.size, sha256: bulkSha.get(body.bulk) ?? '', kind: entry.kind, compressed });
    }
  }
  return entries;
}

/** What an import must store for one library item: its copies, its JSON, its dates. */
function expectedItem(spec: MediaSpec, library: ReadonlyMap<string, LibraryItem>, shape: Shape, requirePart: (path: string) => number): ExpectedItem {
  const item = library.get(spec.label);
  if (!item) throw new Error(`fixture: no item ${spec.label}`);
  const source = spec.own ? spec : spec.shares === undefined ? undefined : library.get(spec.shares)?.spec;
  const sidecar = source?.own?.json;
  const meta = source?.own?.meta;
  const copies: ItemCopy[] = spec.folders.map((folder) => {
    const path = shape.inFolder(folder, spec.name);
    if (sidecar === undefined) return { folder, path, part: requirePart(path) };
    const jsonPath = shape.inFolder(folder, sidecar);
    return { folder, path, part: requirePart(path), jsonPath, jsonPart: requirePart(jsonPath) };
  });
  const [first] = copies;
  if (!first) throw new Error(`fixture: ${spec.label} is in no folder`);
  const geo = meta ? expectedGeo(meta) : undefined;
  const rule = spec.own?.rule ?? spec.rule;
  return {
    label: spec.label,
    name: spec.name,
    folders: spec.folders,
    size: item.bytes.length,
    sha256: sha256(item.bytes),
    ...(meta && meta.takenAt !== 0 ? { takenAt: meta.takenAt } : {}),
    ...(spec.exif === undefined ? {} : { exifTakenAt: Date.parse(`${spec.exif.replace(/^(\d{4}):(\d{2}):(\d{2}) /, '$1-$2-$3T')}Z`) / 1000 }),
    ...(geo ? { geo } : {}),
    role: spec.role,
    ...(spec.of === undefined ? {} : { of: spec.of }),
    ...(sidecar === undefined ? {} : { sidecar }),
    ...(sidecar === undefined || rule === undefined ? {} : { rule }),
    ...(item.json ? { json: item.json.toString('utf8') } : {}),
    mediaPart: first.part,
    ...(first.jsonPart === undefined ? {} : { jsonPart: first.jsonPart }),
    copies,
  };
}

function expectedBulkItem(b: BulkSpec, shape: Shape, bytes: number, bulkSha: ReadonlyMap<number, string>): ExpectedItem {
  const folder = shape.layout.year(2024);
  const path = shape.inFolder(folder, b.name);
  const jsonPath = shape.inFolder(folder, b.json);
  return {
    label: b.label,
    name: b.name,
    folders: [folder],
    size: bytes,
    sha256: bulkSha.get(b.index) ?? '',
    takenAt: b.meta.takenAt,
    role: 'original',
    sidecar: b.json,
    rule: 'supplemental',
    json: b.text.toString('utf8'),
    mediaPart: b.part,
    jsonPart: b.part,
    copies: [{ folder, path, part: b.part, jsonPath, jsonPart: b.part }],
  };
}

/** Writes a synthetic Takeout export into `dir` and returns what an import of it must find. */
export async function writeTakeout(dir: string, options: FixtureOptions): Promise<TakeoutFixture> {
  const shape = shapeOf(options);
  const prng = new Prng(shape.seed);
  const urls = new Set<string>();
  const { specs, skippedSpecs, library } = buildLibrary(prng, shape, urls);
  const core = planCore(library, shape);
  const { bulkEntries, bulkSpecs } = planBulk(prng, shape, urls);
  const planned = [...core, ...bulkEntries];
  const { partPaths, bulkSha } = await writeParts(dir, shape, planned);
  const entries = writtenEntries(shape, planned, bulkSha);
  const partOf = new Map(entries.map((entry) => [entry.path, entry.part]));
  const requirePart = (path: string): number => {
    const part = partOf.get(path);
    if (part === undefined) throw new Error(`fixture: ${path} was not written`);
    return part;
  };
  const items = [
    ...specs.map((spec) => expectedItem(spec, library, shape, requirePart)),
    ...bulkSpecs.map((b) => expectedBulkItem(b, shape, options.bulk?.bytes ?? 0, bulkSha)),
  ];
  const skipped = skippedSpecs.flatMap((spec) => {
    const folder = spec.folders[0] ?? '';
    return [shape.inFolder(folder, spec.name), ...(spec.own ? [shape.inFolder(folder, spec.own.json)] : [])];
  });
  const albums = ALBUMS.map((album) => ({ folder: album.folder, title: album.title, items: specs.filter((spec) => spec.folders.includes(album.folder)).map((spec) => spec.name) }));
  let bytes = 0;
  for (const path of partPaths) bytes += (await stat(path)).size;
  const fixture: TakeoutFixture = {
    parts: partPaths,
    items,
    skipped,
    albums,
    unmatched: items.filter((item) => item.sidecar === undefined).map((item) => item.name),
    bytes,
    entries,
    nonMedia: entries.filter((entry) => entry.kind === 'other').map((entry) => entry.path),
    topFolder: shape.topFolder,
  };
  if (shape.partCount > 1) checkSpread(fixture, shape.layout.year(2023));
  return fixture;
}

/** The promises made about parts: a JSON in a later part than its media, and 2023 over two parts. */
function checkSpread(fixture: TakeoutFixture, year2023: string): void {
  const later = fixture.items.some((item) => item.copies.some((copy) => copy.jsonPart !== undefined && copy.jsonPart > copy.part && item.json !== undefined));
  const parts2023 = new Set(fixture.entries.filter((entry) => entry.path.includes(`/${year2023}/`)).map((entry) => entry.part));
  if (!later || parts2023.size < 2) throw new Error('fixture: the parts do not split media from JSON or Photos from 2023 over two parts');
}

/**
 * Cuts a part to `fraction` (0..1) of its length, as a download still in progress leaves it;
 * returns the original bytes' path (a copy, in a temporary directory removed at exit) so a test
 * can put the whole part back (`restorePart`).
 */
export async function truncatePart(part: string, fraction: number): Promise<string> {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`fraction must be 0..1, not ${fraction}`);
  const copy = join(tempDir('takeout-part'), basename(part));
  await copyFile(part, copy);
  const { size } = await stat(part);
  await truncate(part, Math.floor(size * fraction));
  return copy;
}

/** Puts back a part that `truncatePart` cut, from the copy it returned. */
export async function restorePart(copy: string, part: string): Promise<void> {
  await copyFile(copy, part);
}
