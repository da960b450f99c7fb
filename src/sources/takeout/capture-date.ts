// The capture time inside a media file, for Takeout items whose JSON has none (no sidecar, or
// photoTakenTime "0"): the EXIF date of a JPEG (APP1), a PNG (eXIf) or a HEIC/HEIF/AVIF (the
// 'Exif' item of the top-level 'meta' box), or the 'mvhd' creation time of an MP4/MOV/3GP. Only
// the file's first bytes are looked at (the importer needs the time before it stores the body,
// whose folder YYYY/MM depends on it): peekCaptureTime reads them off the body stream and hands
// back a stream of all the bytes, unchanged. Every parser is defensive: truncation, offsets out
// of range, loops and absurd values give "no time", never a throw or a read out of bounds.
import { Readable } from 'node:stream';

/** How much of a body peekCaptureTime reads by default. */
export const DEFAULT_PEEK_BYTES = 256 * 1024;

/** Plausible capture times: 1900-01-01T00:00:00Z through 2200-12-31T23:59:59.999Z. */
const MIN_TIME = Date.UTC(1900, 0, 1);
const MAX_TIME = Date.UTC(2201, 0, 1) - 1;

/** Seconds from 1904-01-01T00:00:00Z (the ISO BMFF / QuickTime epoch) to the Unix epoch. */
const EPOCH_1904_SECONDS = 2_082_844_800;

/** Thrown by the bounded readers below; captureTimeIn turns it (and anything else) into undefined. */
class Corrupt extends Error {}

function plausible(ms: number | undefined): number | undefined {
  return ms !== undefined && Number.isFinite(ms) && ms >= MIN_TIME && ms <= MAX_TIME ? ms : undefined;
}

// ---------------------------------------------------------------------------------------------
// Bounded reads: `end` is the end of the region the value must lie in (never past the buffer).

function within(buf: Buffer, at: number, length: number, end: number): void {
  if (!Number.isSafeInteger(at) || at < 0 || at + length > Math.min(end, buf.length)) throw new Corrupt();
}

function u8(buf: Buffer, at: number, end: number): number {
  within(buf, at, 1, end);
  return buf.readUInt8(at);
}

function u16(buf: Buffer, at: number, end: number, little = false): number {
  within(buf, at, 2, end);
  return little ? buf.readUInt16LE(at) : buf.readUInt16BE(at);
}

function u32(buf: Buffer, at: number, end: number, little = false): number {
  within(buf, at, 4, end);
  return little ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
}

function u64(buf: Buffer, at: number, end: number): number {
  within(buf, at, 8, end);
  const value = buf.readBigUInt64BE(at);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Corrupt();
  return Number(value);
}

/** An unsigned big-endian integer of 0, 4 or 8 bytes (the field sizes of 'iloc'). */
function uint(buf: Buffer, at: number, size: number, end: number): number {
  if (size === 0) return 0;
  if (size === 4) return u32(buf, at, end);
  if (size === 8) return u64(buf, at, end);
  throw new Corrupt();
}

function fourcc(buf: Buffer, at: number, end: number): string {
  within(buf, at, 4, end);
  return buf.toString('latin1', at, at + 4);
}

// ---------------------------------------------------------------------------------------------
// EXIF (TIFF structure)

/** A TIFF structure in `buf`: offsets inside it count from `base`; it must end by `end`. */
interface Tiff {
  readonly buf: Buffer;
  readonly base: number;
  readonly end: number;
  readonly little: boolean;
}

interface IfdEntry {
  readonly type: number;
  readonly count: number;
  /** Where the entry's 4-byte value/offset field is, in `buf`. */
  readonly field: number;
}

type Ifd = ReadonlyMap<number, IfdEntry>;

const TAG_DATE_TIME = 0x0132;
const TAG_EXIF_IFD = 0x8769;
const TAG_DATE_TIME_ORIGINAL = 0x9003;
const TAG_DATE_TIME_DIGITIZED = 0x9004;
const TAG_OFFSET_TIME = 0x9010;
const TAG_OFFSET_TIME_ORIGINAL = 0x9011;
const TAG_OFFSET_TIME_DIGITIZED = 0x9012;
const TAG_SUB_SEC_TIME = 0x9290;
const TAG_SUB_SEC_TIME_ORIGINAL = 0x9291;
const TAG_SUB_SEC_TIME_DIGITIZED = 0x9292;

const TYPE_ASCII = 2;
const TYPE_LONG = 4;
const TYPE_UNDEFINED = 7;
const TYPE_IFD = 13;

/** The longest text field worth reading (dates are 20 bytes, offsets 7, sub-seconds a few). */
const MAX_TEXT_BYTES = 64;

function tiffAt(buf: Buffer, base: number, end: number): Tiff {
  const stop = Math.min(end, buf.length);
  within(buf, base, 8, stop);
  const order = buf.toString('latin1', base, base + 2);
  if (order !== 'II' && order !== 'MM') throw new Corrupt();
  const little = order === 'II';
  if (u16(buf, base + 2, stop, little) !== 42) throw new Corrupt();
  return { buf, base, end: stop, little };
}

function readIfd(tiff: Tiff, offset: number): Ifd {
  if (offset < 8) throw new Corrupt(); // inside the header
  const at = tiff.base + offset;
  const count = u16(tiff.buf, at, tiff.end, tiff.little);
  within(tiff.buf, at + 2, count * 12, tiff.end);
  const entries = new Map<number, IfdEntry>();
  for (let i = 0; i < count; i++) {
    const entry = at + 2 + i * 12;
    const tag = u16(tiff.buf, entry, tiff.end, tiff.little);
    if (entries.has(tag)) continue; // the first one counts
    entries.set(tag, {
      type: u16(tiff.buf, entry + 2, tiff.end, tiff.little),
      count: u32(tiff.buf, entry + 4, tiff.end, tiff.little),
      field: entry + 8,
    });
  }
  return entries;
}

/** An ASCII field's text up to its NUL, trimmed; undefined when absent or of another type. */
function textOf(tiff: Tiff, ifd: Ifd | undefined, tag: number): string | undefined {
  const entry = ifd?.get(tag);
  if (!entry || (entry.type !== TYPE_ASCII && entry.type !== TYPE_UNDEFINED) || entry.count === 0) return undefined;
  if (entry.count > MAX_TEXT_BYTES) throw new Corrupt();
  const start = entry.count <= 4 ? entry.field : tiff.base + u32(tiff.buf, entry.field, tiff.end, tiff.little);
  within(tiff.buf, start, entry.count, tiff.end);
  const raw = tiff.buf.toString('latin1', start, start + entry.count);
  const nul = raw.indexOf('\0');
  return (nul < 0 ? raw : raw.slice(0, nul)).trim();
}

/** The offset a pointer tag (LONG or IFD, count 1) holds; undefined when absent. */
function pointerOf(tiff: Tiff, ifd: Ifd, tag: number): number | undefined {
  const entry = ifd.get(tag);
  if (!entry) return undefined;
  if ((entry.type !== TYPE_LONG && entry.type !== TYPE_IFD) || entry.count !== 1) throw new Corrupt();
  return u32(tiff.buf, entry.field, tiff.end, tiff.little);
}

/** Minutes east of UTC from "+02:00" / "-05:30" (or "+0200"); undefined when blank or malformed. */
function zoneMinutes(text: string | undefined): number | undefined {
  const match = text === undefined ? null : /^([+-])(\d{2}):?(\d{2})$/.exec(text);
  if (!match) return undefined;
  const hours = Number(match[2]);
  const minutes = Number(match[3]);
  if (minutes > 59 || hours * 60 + minutes > 14 * 60) return undefined;
  return (match[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/** Milliseconds from a SubSecTime field ("1" is 100 ms, "123456" is 123 ms); 0 when unusable. */
function subSecondMs(text: string | undefined): number {
  if (text === undefined || !/^\d+$/.test(text)) return 0;
  return Number(`${text}00`.slice(0, 3));
}

/**
 * Unix milliseconds of an EXIF date "YYYY:MM:DD HH:MM:SS" (dashes and a 'T' tolerated), read as
 * local time at `zone` minutes east of UTC, or as UTC when the zone is unknown. Undefined for
 * blanks, "0000:00:00 00:00:00" and impossible dates.
 */
function exifDateMs(text: string | undefined, zone?: number, subSecond = 0): number | undefined {
  const match = text === undefined ? null : /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (year < 1899 || year > 2201 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, subSecond);
  return plausible(local - (zone ?? 0) * 60_000);
}

/**
 * The capture time of a TIFF/EXIF structure: ExifIFD DateTimeOriginal, else DateTimeDigitized,
 * else IFD0 DateTime, each converted to UTC with its OffsetTime* field and refined by its
 * SubSecTime* field. EXIF dates carry no zone of their own: without an OffsetTime* field the
 * date is taken as UTC, which is off by the camera's zone offset for cameras that write local
 * time (most do).
 */
function tiffTime(buf: Buffer, base: number, end: number): number | undefined {
  const tiff = tiffAt(buf, base, end);
  const ifd0Offset = u32(buf, base + 4, tiff.end, tiff.little);
  const ifd0 = readIfd(tiff, ifd0Offset);
  const exifOffset = pointerOf(tiff, ifd0, TAG_EXIF_IFD);
  if (exifOffset === ifd0Offset) throw new Corrupt(); // a loop
  const exif = exifOffset === undefined ? undefined : readIfd(tiff, exifOffset);
  const candidates: readonly (readonly [Ifd | undefined, number, number, number])[] = [
    [exif, TAG_DATE_TIME_ORIGINAL, TAG_OFFSET_TIME_ORIGINAL, TAG_SUB_SEC_TIME_ORIGINAL],
    [exif, TAG_DATE_TIME_DIGITIZED, TAG_OFFSET_TIME_DIGITIZED, TAG_SUB_SEC_TIME_DIGITIZED],
    [ifd0, TAG_DATE_TIME, TAG_OFFSET_TIME, TAG_SUB_SEC_TIME],
  ];
  for (const [ifd, dateTag, zoneTag, subSecTag] of candidates) {
    const date = textOf(tiff, ifd, dateTag);
    if (date === undefined || date === '') continue;
    const zone = zoneMinutes(textOf(tiff, exif, zoneTag) ?? textOf(tiff, ifd0, zoneTag));
    const subSecond = subSecondMs(textOf(tiff, exif, subSecTag) ?? textOf(tiff, ifd0, subSecTag));
    const time = exifDateMs(date, zone, subSecond);
    if (time !== undefined) return time;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// JPEG and PNG

function jpegTime(buf: Buffer): number | undefined {
  let at = 2; // after FF D8
  while (at + 4 <= buf.length) {
    if (buf[at] !== 0xff) return undefined; // not at a marker: lost
    const marker = buf[at + 1] ?? 0;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // no length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // end of image, start of scan
    const length = u16(buf, at + 2, buf.length);
    if (length < 2) return undefined;
    const end = at + 2 + length;
    if (marker === 0xe1 && length >= 2 + 6 && at + 10 <= buf.length && buf.toString('latin1', at + 4, at + 10) === 'Exif\0\0') {
      if (end > buf.length) return undefined; // the segment goes on past the head
      return tiffTime(buf, at + 10, end);
    }
    at = end;
  }
  return undefined;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngTime(buf: Buffer): number | undefined {
  let at = PNG_SIGNATURE.length;
  while (at + 8 <= buf.length) {
    const length = u32(buf, at, buf.length);
    if (length > 0x7fffffff) return undefined;
    const type = fourcc(buf, at + 4, buf.length);
    const data = at + 8;
    if (type === 'eXIf') return data + length > buf.length ? undefined : tiffTime(buf, data, data + length);
    if (type === 'IEND') return undefined;
    at = data + length + 4; // and the CRC
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// ISO BMFF (HEIF/AVIF, MP4, QuickTime, 3GP)

interface Box {
  readonly type: string;
  /** Where the box's content starts. */
  readonly body: number;
  /** Where its content ends, clipped to the region walked (see `complete`). */
  readonly end: number;
  /** Whether the whole box lies in the region walked. */
  readonly complete: boolean;
}

/**
 * The boxes in `[start, end)` of `buf`, in order. A box of size 0 runs to the end of the
 * enclosing region (of the file, at the top level: beyond the head). The walk stops at a box
 * that cannot be (size below its header, 64-bit size beyond 2^53) or where the region ends.
 */
function* boxes(buf: Buffer, start: number, end: number): Generator<Box> {
  const stop = Math.min(end, buf.length);
  let at = start;
  while (at + 8 <= stop) {
    let size = u32(buf, at, stop);
    const type = fourcc(buf, at + 4, stop);
    let header = 8;
    if (size === 1) {
      if (at + 16 > stop) return;
      const large = buf.readBigUInt64BE(at + 8);
      if (large > BigInt(Number.MAX_SAFE_INTEGER)) return;
      size = Number(large);
      header = 16;
    } else if (size === 0) {
      size = end === Infinity ? Infinity : end - at;
    }
    if (size < header) return;
    const boxEnd = at + size;
    yield { type, body: at + header, end: Math.min(boxEnd, stop), complete: boxEnd <= stop };
    at = boxEnd;
  }
}

function childBox(buf: Buffer, parent: Box, type: string, skip = 0): Box | undefined {
  for (const box of boxes(buf, parent.body + skip, parent.end)) if (box.type === type) return box;
  return undefined;
}

/** Boxes a QuickTime file without 'ftyp' may start with. */
const QUICKTIME_FIRST = new Set(['moov', 'mdat', 'free', 'skip', 'wide', 'pnot']);

/** Major brands of still-image files (HEIF, AVIF, HEIF-with-JPEG), whose Exif item comes first. */
const IMAGE_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs', 'mif1', 'mif2', 'msf1', 'miaf', 'avif', 'avis', 'avio', 'jpeg', 'jpgs', 'avci', 'avcs']);

interface IlocExtent {
  readonly offset: number;
  readonly length: number;
}

interface IlocItem {
  readonly method: number;
  readonly dataReference: number;
  readonly base: number;
  readonly extents: readonly IlocExtent[];
}

/** The item IDs of type 'Exif' in an 'iinf' box, in order. */
function exifItemIds(buf: Buffer, iinf: Box): number[] {
  const version = u8(buf, iinf.body, iinf.end);
  const ids: number[] = [];
  for (const infe of boxes(buf, iinf.body + 4 + (version === 0 ? 2 : 4), iinf.end)) {
    if (infe.type !== 'infe') continue;
    const infeVersion = u8(buf, infe.body, infe.end);
    if (infeVersion < 2) continue; // versions 0 and 1 carry no item type
    const idSize = infeVersion === 2 ? 2 : 4;
    const id = idSize === 2 ? u16(buf, infe.body + 4, infe.end) : u32(buf, infe.body + 4, infe.end);
    if (fourcc(buf, infe.body + 4 + idSize + 2, infe.end) === 'Exif') ids.push(id);
  }
  return ids;
}

/** Where an 'iloc' box puts item `wanted` (versions 0, 1 and 2; field sizes 0, 4 and 8). */
function ilocItem(buf: Buffer, iloc: Box, wanted: number): IlocItem | undefined {
  const end = iloc.end;
  const version = u8(buf, iloc.body, end);
  if (version > 2) return undefined;
  let at = iloc.body + 4;
  const sizes = u8(buf, at, end);
  const more = u8(buf, at + 1, end);
  const offsetSize = sizes >> 4;
  const lengthSize = sizes & 0x0f;
  const baseSize = more >> 4;
  const indexSize = version === 0 ? 0 : more & 0x0f;
  for (const size of [offsetSize, lengthSize, baseSize, indexSize]) if (size !== 0 && size !== 4 && size !== 8) return undefined;
  at += 2;
  const itemCount = version < 2 ? u16(buf, at, end) : u32(buf, at, end);
  at += version < 2 ? 2 : 4;
  for (let item = 0; item < itemCount; item++) {
    const id = version < 2 ? u16(buf, at, end) : u32(buf, at, end);
    at += version < 2 ? 2 : 4;
    let method = 0;
    if (version > 0) {
      method = u16(buf, at, end) & 0x0f;
      at += 2;
    }
    const dataReference = u16(buf, at, end);
    const base = uint(buf, at + 2, baseSize, end);
    at += 2 + baseSize;
    const extentCount = u16(buf, at, end);
    at += 2;
    const extents: IlocExtent[] = [];
    for (let e = 0; e < extentCount; e++) {
      at += indexSize;
      const offset = uint(buf, at, offsetSize, end);
      const length = uint(buf, at + offsetSize, lengthSize, end);
      at += offsetSize + lengthSize;
      if (id === wanted) extents.push({ offset, length });
    }
    if (id === wanted) return { method, dataReference, base, extents };
  }
  return undefined;
}

/** The bytes of an item, when they all lie within the head (file offsets or the 'idat' box). */
function itemData(buf: Buffer, item: IlocItem, idat: Box | undefined): Buffer | undefined {
  if (item.dataReference !== 0 || item.extents.length === 0) return undefined; // in another file
  let region: readonly [number, number];
  if (item.method === 0) region = [0, buf.length];
  else if (item.method === 1 && idat?.complete) region = [idat.body, idat.end];
  else return undefined; // item-offset construction, or no idat
  const parts: Buffer[] = [];
  for (const extent of item.extents) {
    const start = region[0] + item.base + extent.offset;
    // length 0 means "to the end of the data": unknowable from a head
    if (extent.length === 0 || !Number.isSafeInteger(start) || start + extent.length > region[1]) return undefined;
    parts.push(buf.subarray(start, start + extent.length));
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/** The EXIF time of a HEIF/AVIF file: its top-level 'meta' box's first 'Exif' item. */
function heifTime(buf: Buffer): number | undefined {
  let meta: Box | undefined;
  for (const box of boxes(buf, 0, Infinity)) {
    if (box.type === 'meta') {
      meta = box;
      break;
    }
  }
  if (!meta) return undefined;
  let ids: number[] | undefined;
  let iloc: Box | undefined;
  let idat: Box | undefined;
  for (const box of boxes(buf, meta.body + 4, meta.end)) {
    if (box.type === 'iinf') ids ??= exifItemIds(buf, box);
    else if (box.type === 'iloc') iloc ??= box;
    else if (box.type === 'idat') idat ??= box;
  }
  const id = ids?.[0];
  if (id === undefined || !iloc) return undefined;
  const item = ilocItem(buf, iloc, id);
  const data = item && itemData(buf, item, idat);
  if (!data) return undefined;
  // ISO/IEC 23008-12 Annex A: a 4-byte offset to the TIFF header, usually past "Exif\0\0"
  let tiff = 4 + u32(data, 0, data.length);
  if (tiff + 6 <= data.length && data.toString('latin1', tiff, tiff + 6) === 'Exif\0\0') tiff += 6;
  return tiffTime(data, tiff, data.length);
}

/**
 * The creation time in 'moov' → 'mvhd' (seconds since 1904-01-01, UTC as phones write it; some
 * cameras write local time there). Undefined when it is 0 or 'moov' does not start within the
 * head (it often sits after the media data, at the end of the file); a 'moov' that starts within
 * the head but goes on past it is used when its 'mvhd' (normally its first child) lies within.
 */
function movieTime(buf: Buffer): number | undefined {
  for (const box of boxes(buf, 0, Infinity)) {
    if (box.type !== 'moov') continue;
    const mvhd = childBox(buf, box, 'mvhd');
    if (!mvhd) return undefined;
    const version = u8(buf, mvhd.body, mvhd.end);
    if (version > 1) return undefined;
    const seconds = version === 0 ? u32(buf, mvhd.body + 4, mvhd.end) : u64(buf, mvhd.body + 4, mvhd.end);
    return seconds === 0 ? undefined : plausible((seconds - EPOCH_1904_SECONDS) * 1000);
  }
  return undefined;
}

function bmffTime(buf: Buffer, kind: 'image' | 'video' | undefined): number | undefined {
  const first = boxes(buf, 0, Infinity).next();
  if (first.done) return undefined;
  let imageFirst = kind === 'image';
  if (first.value.type === 'ftyp') imageFirst ||= IMAGE_BRANDS.has(fourcc(buf, first.value.body, first.value.end));
  else if (!QUICKTIME_FIRST.has(first.value.type)) return undefined;
  const order = imageFirst ? [heifTime, movieTime] : [movieTime, heifTime];
  for (const parse of order) {
    const time = parse(buf);
    if (time !== undefined) return time;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------

/**
 * The capture time inside a media file's first bytes, as Unix milliseconds (UTC), or undefined.
 * The format is told by the bytes (JPEG, PNG, ISO BMFF), not by `kind`; in an ISO BMFF file the
 * HEIF 'Exif' item is tried before the movie's 'mvhd' when the 'ftyp' major brand is a HEIF/AVIF
 * one or `kind` is 'image', after it otherwise. EXIF dates without an OffsetTime* field are
 * taken as UTC (EXIF has no zone of its own), so for a camera writing local time they are off
 * by its offset.
 */
export function captureTimeIn(head: Buffer, kind: 'image' | 'video' | undefined): number | undefined {
  try {
    if (head.length >= 4 && head[0] === 0xff && head[1] === 0xd8) return plausible(jpegTime(head));
    if (head.length >= PNG_SIGNATURE.length && head.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) return plausible(pngTime(head));
    if (head.length >= 8) return plausible(bmffTime(head, kind));
    return undefined;
  } catch {
    return undefined; // Corrupt, or anything else the bytes provoke: no time
  }
}

// ---------------------------------------------------------------------------------------------
// Peeking at a stream

interface Head {
  readonly chunks: Buffer[];
  readonly size: number;
  /** The source emitted 'end' within the head. */
  readonly ended: boolean;
  /** The source failed (or closed early) within the head. */
  readonly error?: Error;
}

function asBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk);
  throw new TypeError('a media body must yield bytes');
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

function prematureClose(): Error {
  return Object.assign(new Error('the media body closed before its end'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

/**
 * Reads chunks off `body` until `limit` bytes, its end or its failure, then pauses it and calls
 * `done` synchronously, in the same tick, so that no event of the source falls between the
 * listeners of the head and those `done` attaches.
 */
function readHead<T>(body: Readable, limit: number, done: (head: Head) => T): Promise<T> {
  const chunks: Buffer[] = [];
  let size = 0;
  if (body.readableEnded) return Promise.resolve(done({ chunks, size, ended: true }));
  if (body.destroyed) return Promise.resolve(done({ chunks, size, ended: false, error: asError(body.errored ?? prematureClose()) }));
  if (limit === 0) {
    body.pause();
    return Promise.resolve(done({ chunks, size, ended: false }));
  }
  return new Promise((resolve) => {
    const finish = (ended: boolean, error?: Error): void => {
      body.pause();
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      body.off('close', onClose);
      resolve(done(error ? { chunks, size, ended, error } : { chunks, size, ended }));
    };
    const onData = (chunk: unknown): void => {
      let buffer: Buffer;
      try {
        buffer = asBuffer(chunk);
      } catch (err) {
        body.destroy(asError(err));
        return;
      }
      if (buffer.length === 0) return;
      chunks.push(buffer);
      size += buffer.length;
      if (size >= limit) finish(false);
    };
    const onEnd = (): void => finish(true);
    const onError = (err: unknown): void => finish(false, asError(err));
    const onClose = (): void => finish(false, asError(body.errored ?? prematureClose()));
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onError);
    body.once('close', onClose);
    body.resume(); // also when the caller paused it
  });
}

/**
 * The peeked bytes, then the rest of the source, with the source's backpressure, errors and end;
 * destroying it destroys the source (with the same error, if any).
 */
class PeekedBody extends Readable {
  /** The head's chunks not pushed yet; the source stays paused while there are any. */
  private readonly pending: Buffer[];
  private sourceEnded: boolean;
  /** A failure of the source while the head was read, raised after the head's bytes. */
  private failure: Error | undefined;

  constructor(
    private readonly source: Readable,
    head: Head,
  ) {
    super({ highWaterMark: source.readableObjectMode ? 64 * 1024 : source.readableHighWaterMark });
    this.pending = [...head.chunks];
    this.sourceEnded = head.ended;
    this.failure = head.error;
    // kept for the source's whole life, so a late error of the source never goes unhandled
    source.on('error', (err: unknown) => this.destroy(asError(err)));
    if (head.ended || head.error) return;
    source.on('data', (chunk: unknown) => this.onData(chunk));
    source.once('end', () => {
      this.sourceEnded = true;
      if (this.pending.length === 0) this.push(null); // else _read ends after the head
    });
    source.once('close', () => {
      if (!this.sourceEnded) this.destroy(asError(source.errored ?? prematureClose()));
    });
  }

  private onData(chunk: unknown): void {
    if (this.destroyed) return;
    let buffer: Buffer;
    try {
      buffer = asBuffer(chunk);
    } catch (err) {
      this.destroy(asError(err));
      return;
    }
    if (buffer.length === 0) return;
    if (this.pending.length > 0) {
      // not expected (the source is paused until the head is out), but order comes first
      this.pending.push(buffer);
      this.source.pause();
    } else if (!this.push(buffer)) {
      this.source.pause();
    }
  }

  override _read(): void {
    for (let chunk = this.pending.shift(); chunk; chunk = this.pending.shift()) {
      if (!this.push(chunk)) return;
    }
    if (this.failure) {
      this.destroy(this.failure);
      this.failure = undefined;
    } else if (this.sourceEnded) {
      this.push(null);
    } else {
      this.source.resume();
    }
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.pending.length = 0;
    if (!this.source.destroyed && !this.sourceEnded) this.source.destroy(err ?? undefined);
    callback(err);
  }
}

/**
 * Reads up to `limit` bytes (default 256 KiB) from the start of `body`, looks for a capture time
 * in them, and returns it with a Readable that yields ALL of the body's bytes, unchanged and in
 * order (the bytes read first, then the rest of the original stream), propagating errors and
 * destruction both ways. A body shorter than the limit is fine. At most `limit` bytes plus one
 * chunk of the source are held; the rest flows with the consumer's backpressure. A source that
 * fails (or closes early) within the head gives no time and a body that fails with that error.
 */
export async function peekCaptureTime(
  body: Readable,
  kind: 'image' | 'video' | undefined,
  limit: number = DEFAULT_PEEK_BYTES,
): Promise<{ readonly time?: number; readonly body: Readable }> {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`peek limit must be a whole number of bytes, not ${limit}`);
  const head = await readHead(body, limit, (read) => ({ read, out: new PeekedBody(body, read) }));
  const time = head.read.error ? undefined : captureTimeIn(Buffer.concat(head.read.chunks, Math.min(head.read.size, limit)), kind);
  return time === undefined ? { body: head.out } : { time, body: head.out };
}
