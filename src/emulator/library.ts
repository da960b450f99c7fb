// Deterministic synthetic Google Photos libraries for the emulator.
//
// A library is a list of items as Google stores them (id, filename, MIME type, creation time,
// dimensions, video processing state, whether this app created it) plus albums. The same
// preset and seed always give the same ids, names, times and bytes, so tests can compare what
// was backed up against `expectedSha256()`.
import { createHash } from 'node:crypto';
import { contentSpec, type ContentSpec } from './content.js';

export type MediaKind = 'photo' | 'video';
export type VideoStatus = 'PROCESSING' | 'READY' | 'FAILED';
/** Fields Google may leave out of an item (proto3 JSON omits empty ones); see wire.ts. */
export type OmittableField = 'filename' | 'mimeType' | 'creationTime' | 'description' | 'videoStatus' | 'mediaMetadata';

export interface EmulatedItem {
  readonly id: string;
  readonly filename: string;
  readonly mimeType: string;
  readonly kind: MediaKind;
  /** RFC 3339, UTC. */
  readonly creationTime: string;
  readonly width: number;
  readonly height: number;
  /** Size in bytes of the original (`=d` / `=dv`). */
  readonly size: number;
  readonly description?: string;
  /** Created by this OAuth client: only such items are visible to the Library API since 2025-03-31. */
  readonly appCreated: boolean;
  readonly archived: boolean;
  readonly favorite: boolean;
  readonly camera?: { readonly make: string; readonly model: string };
  readonly video?: {
    readonly fps: number;
    readonly status: VideoStatus;
    /** For PROCESSING videos: ms after the emulator started at which they become READY (absent: never). */
    readonly readyAfterMs?: number;
  };
  /** Fields the API leaves out of this item although the item has them (a name, a date...). */
  readonly omit?: readonly OmittableField[];
}

export interface EmulatedAlbum {
  readonly id: string;
  readonly title: string;
  readonly itemIds: readonly string[];
  readonly appCreated: boolean;
}

export interface EmulatedLibrary {
  readonly preset: string;
  readonly items: readonly EmulatedItem[];
  readonly albums: readonly EmulatedAlbum[];
}

export const PRESETS = ['mixed', 'hostile', 'large', 'bigvideo', 'not-app-created', 'same-name'] as const;
export type PresetName = (typeof PRESETS)[number];

export interface LibraryOptions {
  readonly preset: PresetName;
  readonly seed?: string;
  /** Number of items for `mixed`, `large`, `not-app-created` and `same-name`; for `hostile`, the total with ordinary items after the hostile ones. */
  readonly items?: number;
  /** Size in bytes of the video in `bigvideo`. */
  readonly videoSize?: number;
  /** When PROCESSING videos that do become READY do so, in ms after the emulator starts. */
  readonly processingReadyAfterMs?: number;
}

export function isPreset(name: string): name is PresetName {
  return (PRESETS as readonly string[]).includes(name);
}

/** Small seeded PRNG (mulberry32): deterministic across runs and platforms. */
export class Rng {
  private state: number;
  constructor(seed: string) {
    this.state = createHash('sha256').update(seed).digest().readUInt32BE(0);
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.next() * values.length)] as T;
  }
}

/** Google-like opaque media item id: long, URL-safe base64 (so it contains '-' and '_'). */
export function mediaItemId(seed: string, index: number): string {
  const a = createHash('sha256').update(`${seed}:${index}`).digest('base64url');
  const b = createHash('sha256').update(`${seed}:${index}:b`).digest('base64url');
  return `AGj1${a}${b.slice(0, 24)}`;
}

export function contentFor(item: EmulatedItem): ContentSpec {
  return contentSpec(`${item.id}:original`, item.size, item.mimeType);
}

const PHOTO_TYPES = [
  { mime: 'image/jpeg', ext: 'jpg' },
  { mime: 'image/jpeg', ext: 'JPG' },
  { mime: 'image/heic', ext: 'HEIC' },
  { mime: 'image/png', ext: 'png' },
] as const;
const VIDEO_TYPES = [
  { mime: 'video/mp4', ext: 'mp4' },
  { mime: 'video/quicktime', ext: 'MOV' },
] as const;
const CAMERAS = [
  { make: 'Google', model: 'Pixel 8' },
  { make: 'Apple', model: 'iPhone 15 Pro' },
  { make: 'samsung', model: 'SM-S918B' },
  { make: 'Canon', model: 'Canon EOS R6' },
] as const;

const YEAR_2015 = Date.UTC(2015, 0, 1);
const YEAR_2025 = Date.UTC(2025, 11, 31);

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

interface ItemDraft {
  filename?: string;
  kind?: MediaKind;
  mimeType?: string;
  creationMs?: number;
  size?: number;
  appCreated?: boolean;
  archived?: boolean;
  status?: VideoStatus;
  readyAfterMs?: number;
  description?: string;
  omit?: readonly OmittableField[];
}

class LibraryBuilder {
  readonly items: EmulatedItem[] = [];
  readonly albums: EmulatedAlbum[] = [];
  readonly rng: Rng;
  constructor(
    private readonly seed: string,
    private readonly sizes: { photo: [number, number]; video: [number, number] },
  ) {
    this.rng = new Rng(seed);
  }

  add(draft: ItemDraft = {}): EmulatedItem {
    const rng = this.rng;
    const index = this.items.length;
    const kind: MediaKind = draft.kind ?? (rng.next() < 0.15 ? 'video' : 'photo');
    const type = kind === 'video' ? rng.pick(VIDEO_TYPES) : rng.pick(PHOTO_TYPES);
    const creationMs = draft.creationMs ?? YEAR_2015 + Math.floor(rng.next() * (YEAR_2025 - YEAR_2015));
    const when = new Date(creationMs);
    const defaultName =
      kind === 'video'
        ? `VID_${when.getUTCFullYear()}${pad(when.getUTCMonth() + 1, 2)}${pad(when.getUTCDate(), 2)}_${pad(index, 6)}.${type.ext}`
        : rng.next() < 0.5
          ? `IMG_${pad(index % 10000, 4)}.${type.ext}`
          : `PXL_${when.getUTCFullYear()}${pad(when.getUTCMonth() + 1, 2)}${pad(when.getUTCDate(), 2)}_${pad(index, 9)}.${type.ext}`;
    const [minSize, maxSize] = kind === 'video' ? this.sizes.video : this.sizes.photo;
    const landscape = rng.next() < 0.7;
    const camera = rng.pick(CAMERAS);
    const status = draft.status ?? 'READY';
    const item: EmulatedItem = {
      id: mediaItemId(this.seed, index),
      filename: draft.filename ?? defaultName,
      mimeType: draft.mimeType ?? type.mime,
      kind,
      creationTime: iso(creationMs),
      width: landscape ? 4032 : 3024,
      height: landscape ? 3024 : 4032,
      size: draft.size ?? rng.int(minSize, maxSize),
      ...(draft.description !== undefined ? { description: draft.description } : {}),
      appCreated: draft.appCreated ?? true,
      archived: draft.archived ?? rng.next() < 0.03,
      favorite: rng.next() < 0.1,
      camera: { make: camera.make, model: camera.model },
      ...(kind === 'video'
        ? {
            video: {
              fps: rng.pick([24, 30, 60]),
              status,
              ...(draft.readyAfterMs !== undefined ? { readyAfterMs: draft.readyAfterMs } : {}),
            },
          }
        : {}),
      ...(draft.omit ? { omit: draft.omit } : {}),
    };
    this.items.push(item);
    return item;
  }

  album(title: string, itemIds: string[], appCreated = true): void {
    const id = `AAlb${createHash('sha256').update(`${this.seed}:album:${title}`).digest('base64url').slice(0, 40)}`;
    this.albums.push({ id, title, itemIds, appCreated });
  }

  build(preset: string): EmulatedLibrary {
    return { preset, items: this.items, albums: this.albums };
  }
}

const KiB = 1024;
const MiB = 1024 * KiB;

function mixed(options: LibraryOptions, seed: string, appCreated: (i: number) => boolean): EmulatedLibrary {
  const b = new LibraryBuilder(seed, { photo: [8 * KiB, 300 * KiB], video: [200 * KiB, 3 * MiB] });
  const count = options.items ?? 300;
  for (let i = 0; i < count; i++) {
    if (i === 7) {
      b.add({ kind: 'video', status: 'PROCESSING', readyAfterMs: options.processingReadyAfterMs ?? 10_000, appCreated: appCreated(i) });
    } else {
      b.add({ appCreated: appCreated(i) });
    }
  }
  // A few same-named files, as phones reuse IMG_0001 after a reset.
  for (let i = 0; i < Math.min(3, count); i++) b.add({ kind: 'photo', filename: 'IMG_0001.JPG', mimeType: 'image/jpeg', appCreated: appCreated(count + i) });
  const ids = b.items.map((item) => item.id);
  b.album('Holidays 2019', ids.filter((_, i) => i % 7 === 0));
  b.album('Family', ids.filter((_, i) => i % 11 === 0));
  b.album('Screenshots', ids.filter((_, i) => i % 13 === 0), false);
  return b.build(options.preset);
}

/** Every filename a careless tool would write somewhere it should not, and every odd date. */
export const HOSTILE_FILENAMES: readonly string[] = [
  '../../../../etc/passwd',
  '..\\..\\windows\\system32\\evil.jpg',
  '..',
  '.',
  '',
  '/absolute/path.jpg',
  'dir/sub/file.jpg',
  'CON',
  'con.jpg',
  'NUL.txt.jpg',
  'aux',
  'COM1.jpg',
  'LPT9',
  'a'.repeat(300) + '.jpg',
  '🙂'.repeat(80) + '.jpg',
  'Cafe\u0301 au lait.jpg',
  'Café au lait.jpg',
  '📸 sunset 🌅.jpg',
  'bell\u0007tab\tnewline\n.jpg',
  'nul\u0000byte.jpg',
  'del\u007fchar.jpg',
  '.hidden.jpg',
  'trailing dot.',
  'trailing space ',
  '   ',
  'what?<>:"|*.jpg',
  '%2e%2e%2fencoded.jpg',
  'no_extension',
  '.gphotos-backup',
  'IMG_1234.jpg.part',
  'CAPS.JPG',
  'caps.jpg',
  'UPPER.jpeg',
  'right\u202eto\u202dleft.jpg',
  'zero\u200bwidth.jpg',
];

function hostile(options: LibraryOptions, seed: string): EmulatedLibrary {
  const b = new LibraryBuilder(seed, { photo: [1 * KiB, 64 * KiB], video: [16 * KiB, 512 * KiB] });
  const sameMonth = Date.UTC(2021, 6, 14, 9, 30);
  for (const filename of HOSTILE_FILENAMES) b.add({ kind: 'photo', filename, mimeType: 'image/jpeg' });
  // Dozens of items with one filename, in the same month and in other months.
  for (let i = 0; i < 40; i++) b.add({ kind: 'photo', filename: 'IMG_0001.JPG', mimeType: 'image/jpeg', creationMs: sameMonth + i * 60_000 });
  for (let i = 0; i < 10; i++) b.add({ kind: 'photo', filename: 'IMG_0001.JPG', mimeType: 'image/jpeg' });
  // Odd creation times.
  b.add({ kind: 'photo', filename: 'epoch.jpg', mimeType: 'image/jpeg', creationMs: 0 });
  b.add({ kind: 'photo', filename: 'before-epoch.jpg', mimeType: 'image/jpeg', creationMs: -86_400_000 });
  b.add({ kind: 'photo', filename: 'future.jpg', mimeType: 'image/jpeg', creationMs: Date.UTC(2099, 11, 31, 23, 59, 59) });
  b.add({ kind: 'photo', filename: 'leap.jpg', mimeType: 'image/jpeg', creationMs: Date.UTC(2024, 1, 29, 23, 59, 59) });
  // Videos in every processing state.
  b.add({ kind: 'video', filename: 'ready.mp4', mimeType: 'video/mp4' });
  b.add({ kind: 'video', filename: 'becomes-ready.mp4', mimeType: 'video/mp4', status: 'PROCESSING', readyAfterMs: options.processingReadyAfterMs ?? 5_000 });
  b.add({ kind: 'video', filename: 'stuck-processing.mp4', mimeType: 'video/mp4', status: 'PROCESSING' });
  b.add({ kind: 'video', filename: 'stuck-processing-2.MOV', mimeType: 'video/quicktime', status: 'PROCESSING' });
  b.add({ kind: 'video', filename: 'failed.mp4', mimeType: 'video/mp4', status: 'FAILED' });
  b.add({ kind: 'video', filename: 'failed-2.mp4', mimeType: 'video/mp4', status: 'FAILED' });
  // Empty and tiny originals, and a description with markup.
  b.add({ kind: 'photo', filename: 'tiny.png', mimeType: 'image/png', size: 8 });
  b.add({ kind: 'photo', filename: 'described.jpg', mimeType: 'image/jpeg', description: '<script>alert(1)</script> "quoted" \u0000' });
  // Fields Google leaves out (proto3 JSON omits empty values): no name, no date, no MIME type,
  // no metadata at all, a video without a status; and a name that is empty rather than absent.
  b.add({ kind: 'photo', filename: 'nameless.jpg', mimeType: 'image/jpeg', omit: ['filename'] });
  b.add({ kind: 'video', filename: 'nameless.mp4', mimeType: 'video/mp4', omit: ['filename'] });
  b.add({ kind: 'photo', filename: 'undated.jpg', mimeType: 'image/jpeg', omit: ['creationTime'] });
  b.add({ kind: 'photo', filename: 'untyped.heic', mimeType: 'image/heic', omit: ['mimeType'] });
  b.add({ kind: 'photo', filename: 'bare.jpg', mimeType: 'image/jpeg', omit: ['filename', 'mediaMetadata', 'mimeType'] });
  b.add({ kind: 'video', filename: 'statusless.mp4', mimeType: 'video/mp4', omit: ['videoStatus'] });
  // Ordinary photos and videos after them, up to `items` in all.
  for (let i = b.items.length; i < (options.items ?? 0); i++) b.add({ kind: i % 10 === 0 ? 'video' : 'photo' });
  const ids = b.items.map((item) => item.id);
  b.album('../../album', ids.filter((_, i) => i % 5 === 0));
  return b.build(options.preset);
}

function large(options: LibraryOptions, seed: string): EmulatedLibrary {
  const b = new LibraryBuilder(seed, { photo: [1 * KiB, 4 * KiB], video: [1 * KiB, 4 * KiB] });
  const count = options.items ?? 3000;
  for (let i = 0; i < count; i++) b.add({ kind: 'photo', archived: false });
  return b.build(options.preset);
}

/** Photos that all share one name and one month (a phone reset its counter, again and again). */
function sameName(options: LibraryOptions, seed: string): EmulatedLibrary {
  const b = new LibraryBuilder(seed, { photo: [1 * KiB, 16 * KiB], video: [1 * KiB, 16 * KiB] });
  const count = options.items ?? 400;
  const month = Date.UTC(2024, 4, 1);
  for (let i = 0; i < count; i++) b.add({ kind: 'photo', filename: 'IMG_0001.JPG', mimeType: 'image/jpeg', archived: false, creationMs: month + ((i * 60_000) % (31 * 86_400_000)) });
  return b.build(options.preset);
}

function bigVideo(options: LibraryOptions, seed: string): EmulatedLibrary {
  const b = new LibraryBuilder(seed, { photo: [16 * KiB, 64 * KiB], video: [1 * MiB, 1 * MiB] });
  b.add({ kind: 'video', filename: 'long-take.mp4', mimeType: 'video/mp4', size: options.videoSize ?? 3 * 1024 * MiB });
  for (let i = 0; i < 3; i++) b.add({ kind: 'photo' });
  return b.build(options.preset);
}

/**
 * New photos for a library that exists (as a person adds to theirs between two backups), taken
 * at `creationMs` (default: a random time, as old photos imported from a camera or a scan).
 * Their ids differ from every id the library has.
 */
export function newItems(library: EmulatedLibrary, count: number, creationMs?: number): EmulatedItem[] {
  const b = new LibraryBuilder(`${library.preset}+${library.items.length}`, { photo: [1 * KiB, 16 * KiB], video: [1 * KiB, 16 * KiB] });
  for (let i = 0; i < count; i++) b.add({ kind: 'photo', archived: false, ...(creationMs !== undefined ? { creationMs } : {}) });
  return b.items;
}

export function generateLibrary(options: LibraryOptions): EmulatedLibrary {
  const seed = options.seed ?? options.preset;
  switch (options.preset) {
    case 'mixed':
      // One item in ten lives only in the user's library (reachable through the Picker).
      return mixed(options, seed, (i) => i % 10 !== 9);
    case 'not-app-created':
      return mixed(options, seed, () => false);
    case 'hostile':
      return hostile(options, seed);
    case 'large':
      return large(options, seed);
    case 'bigvideo':
      return bigVideo(options, seed);
    case 'same-name':
      return sameName(options, seed);
  }
}
