// The capture time inside a media file (src/sources/takeout/capture-date.ts), for Takeout items
// whose JSON has none: small files built here by hand (JPEG with an Exif APP1 in both byte
// orders, PNG eXIf, a HEIC-like ISO BMFF with meta/iinf/iloc and an Exif item, MP4 with
// moov/mvhd), broken ones (cut short, offsets out of range, an IFD loop, garbage) that must give
// no time and never throw, and peekCaptureTime's stream, which must hand on every byte unchanged
// (hashed, up to a 20 MB stream made chunk by chunk), with errors and destruction passed on.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { captureTimeIn, DEFAULT_PEEK_BYTES, peekCaptureTime } from '../src/sources/takeout/capture-date.js';
import { tempDir } from './harness/tmp.js';

// ---------------------------------------------------------------------------------------------
// Building files

type Order = 'II' | 'MM';

const u16be = (n: number): Buffer => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const u32be = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const u64be = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};
/** A big-endian unsigned integer of 0, 2, 4 or 8 bytes. */
const uintBe = (n: number, size: number): Buffer => (size === 0 ? Buffer.alloc(0) : size === 2 ? u16be(n) : size === 4 ? u32be(n) : u64be(n));
const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

function w16(order: Order, n: number): Buffer {
  const b = Buffer.alloc(2);
  if (order === 'II') b.writeUInt16LE(n);
  else b.writeUInt16BE(n);
  return b;
}

function w32(order: Order, n: number): Buffer {
  const b = Buffer.alloc(4);
  if (order === 'II') b.writeUInt32LE(n >>> 0);
  else b.writeUInt32BE(n >>> 0);
  return b;
}

/** An IFD field; `data` is written as given, so multi-byte numbers must be in the file's order. */
interface Field {
  readonly tag: number;
  readonly type: number;
  readonly count: number;
  readonly data: Buffer;
}

const ascii = (tag: number, text: string): Field => ({ tag, type: 2, count: text.length + 1, data: latin1(`${text}\0`) });

interface TiffOptions {
  /** Written as IFD0's offset instead of the real one. */
  readonly ifd0Offset?: number;
  /** Written as the ExifIFD pointer instead of the real offset. */
  readonly exifOffset?: number;
  /** Written as the entry count of IFD0 instead of the real one. */
  readonly ifd0Count?: number;
}

/** A TIFF structure: header, IFD0, the Exif IFD (when given fields), then the values over 4 bytes. */
function tiff(order: Order, ifd0: readonly Field[], exif?: readonly Field[], options: TiffOptions = {}): Buffer {
  const ifdSize = (n: number): number => 2 + 12 * n + 4;
  const ifd0Fields = exif ? [...ifd0, { tag: 0x8769, type: 4, count: 1, data: Buffer.alloc(4) }] : [...ifd0];
  const ifd0At = 8;
  const exifAt = ifd0At + ifdSize(ifd0Fields.length);
  let dataAt = exifAt + (exif ? ifdSize(exif.length) : 0);
  const data: Buffer[] = [];
  const ifd = (fields: readonly Field[]): Buffer => {
    const sorted = [...fields].sort((a, b) => a.tag - b.tag);
    const parts = [w16(order, sorted.length)];
    if (fields === ifd0Fields && options.ifd0Count !== undefined) parts[0] = w16(order, options.ifd0Count);
    for (const field of sorted) {
      let value: Buffer;
      if (field.tag === 0x8769 && fields === ifd0Fields) value = w32(order, options.exifOffset ?? exifAt);
      else if (field.data.length <= 4) value = Buffer.concat([field.data, Buffer.alloc(4 - field.data.length)]);
      else {
        value = w32(order, dataAt);
        data.push(field.data);
        dataAt += field.data.length;
      }
      parts.push(w16(order, field.tag), w16(order, field.type), w32(order, field.count), value);
    }
    parts.push(w32(order, 0)); // no next IFD
    return Buffer.concat(parts);
  };
  const header = Buffer.concat([latin1(order), w16(order, 42), w32(order, options.ifd0Offset ?? ifd0At)]);
  const first = ifd(ifd0Fields);
  const second = exif ? ifd(exif) : Buffer.alloc(0);
  return Buffer.concat([header, first, second, ...data]);
}

/** The usual camera fields: IFD0 DateTime (edited later), ExifIFD DateTimeOriginal and friends. */
function cameraTiff(order: Order, exif: readonly Field[], ifd0: readonly Field[] = [ascii(0x0132, '2024:01:01 00:00:00')]): Buffer {
  return tiff(order, [ascii(0x010f, 'Canon'), ...ifd0], [{ tag: 0x829a, type: 5, count: 1, data: Buffer.alloc(8, 1) }, ...exif]);
}

function segment(marker: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0xff, marker]), u16be(payload.length + 2), payload]);
}

/** A JPEG: SOI, JFIF APP0, an XMP APP1, the Exif APP1, a DQT, a scan, EOI. */
function jpeg(tiffBytes: Buffer | undefined): Buffer {
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    segment(0xe0, Buffer.concat([latin1('JFIF\0'), Buffer.from([1, 1, 0, 0, 1, 0, 1, 0, 0])])),
    segment(0xe1, latin1('http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>')),
    ...(tiffBytes ? [segment(0xe1, Buffer.concat([latin1('Exif\0\0'), tiffBytes]))] : []),
    segment(0xdb, Buffer.alloc(65, 3)),
    segment(0xda, Buffer.from([1, 1, 0, 0, 0x3f, 0])),
    Buffer.alloc(200, 0x55),
    Buffer.from([0xff, 0xd9]),
  ]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const typed = Buffer.concat([latin1(type), data]);
  return Buffer.concat([u32be(data.length), typed, u32be(crc32(typed))]);
}

function png(tiffBytes: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', Buffer.concat([u32be(1), u32be(1), Buffer.from([8, 2, 0, 0, 0])])),
    pngChunk('eXIf', tiffBytes),
    pngChunk('IDAT', Buffer.from([0x78, 0x9c, 0x63, 0, 0, 0, 1, 0, 1])),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function box(type: string, ...parts: Buffer[]): Buffer {
  const payload = Buffer.concat(parts);
  return Buffer.concat([u32be(8 + payload.length), latin1(type), payload]);
}

const fullBox = (type: string, version: number, ...parts: Buffer[]): Buffer => box(type, Buffer.from([version, 0, 0, 0]), ...parts);
const ftyp = (major: string, ...compatible: string[]): Buffer => box('ftyp', latin1(major), u32be(0), ...compatible.map(latin1));

interface HeifOptions {
  readonly ilocVersion: 0 | 1 | 2;
  readonly offsetSize: 0 | 4 | 8;
  readonly lengthSize: 4 | 8;
  readonly baseSize: 0 | 4 | 8;
  readonly indexSize?: 0 | 4 | 8;
  /** 0: extents are file offsets (in 'mdat'); 1: offsets into the 'idat' box. */
  readonly method?: 0 | 1;
  /** iinf version 1 (32-bit count) and infe version 3 (32-bit item IDs). */
  readonly wideIds?: boolean;
  /** Shifts the Exif extent's offset by this much (to point it elsewhere). */
  readonly offsetShift?: number;
}

/**
 * A HEIC-like file: ftyp heic, meta (hdlr pict, pitm, iinf with an 'hvc1' and an 'Exif' item,
 * iloc, maybe idat), mdat holding the image bytes and, for method 0, the Exif item. The Exif
 * item is the 4-byte offset 6, "Exif\0\0", then the TIFF structure.
 */
function heif(tiffBytes: Buffer, options: HeifOptions): Buffer {
  const { ilocVersion, offsetSize, lengthSize, baseSize, indexSize = 0, method = 0, wideIds = false } = options;
  const exifItem = Buffer.concat([u32be(6), latin1('Exif\0\0'), tiffBytes]);
  const image = Buffer.alloc(32, 0xab);
  const idSize = wideIds ? 4 : 2;
  const infe = (id: number, type: string): Buffer => fullBox('infe', wideIds ? 3 : 2, uintBe(id, idSize), u16be(0), latin1(type), latin1('\0'));
  const head = ftyp('heic', 'mif1', 'heic');
  const build = (mdatPayloadAt: number): Buffer => {
    const itemIdSize = ilocVersion < 2 ? 2 : 4;
    const item = (id: number, start: number, length: number, itemMethod: number): Buffer => {
      const base = baseSize === 0 ? 0 : start;
      const offset = start - base + (id === 2 ? (options.offsetShift ?? 0) : 0);
      return Buffer.concat([
        uintBe(id, itemIdSize),
        ilocVersion > 0 ? u16be(itemMethod) : Buffer.alloc(0),
        u16be(0), // data_reference_index: this file
        uintBe(base, baseSize),
        u16be(1),
        ilocVersion > 0 ? uintBe(0, indexSize) : Buffer.alloc(0),
        uintBe(offset, offsetSize),
        uintBe(length, lengthSize),
      ]);
    };
    const exifStart = method === 0 ? mdatPayloadAt + image.length : 0;
    const iloc = fullBox(
      'iloc',
      ilocVersion,
      Buffer.from([(offsetSize << 4) | lengthSize, (baseSize << 4) | (ilocVersion > 0 ? indexSize : 0)]),
      uintBe(2, ilocVersion < 2 ? 2 : 4),
      item(1, mdatPayloadAt, image.length, 0),
      item(2, exifStart, exifItem.length, method),
    );
    return fullBox(
      'meta',
      0,
      fullBox('hdlr', 0, u32be(0), latin1('pict'), Buffer.alloc(12), latin1('\0')),
      fullBox('pitm', 0, u16be(1)),
      fullBox('iinf', wideIds ? 1 : 0, uintBe(2, wideIds ? 4 : 2), infe(1, 'hvc1'), infe(2, 'Exif')),
      iloc,
      ...(method === 1 ? [box('idat', exifItem)] : []),
    );
  };
  const sizing = build(0);
  const meta = build(head.length + sizing.length + 8);
  assert.equal(meta.length, sizing.length);
  const mdat = box('mdat', image, ...(method === 0 ? [exifItem] : []));
  return Buffer.concat([head, meta, mdat]);
}

const EPOCH_1904 = 2_082_844_800;

/** An mvhd box: creation time in seconds since 1904, version 0 (32-bit) or 1 (64-bit). */
function mvhd(version: 0 | 1, creation: number): Buffer {
  const times = version === 0
    ? Buffer.concat([u32be(creation), u32be(creation), u32be(1000), u32be(5000)])
    : Buffer.concat([u64be(creation), u64be(creation), u32be(1000), u64be(5000)]);
  const rest = Buffer.concat([u32be(0x00010000), u16be(0x0100), Buffer.alloc(10), Buffer.alloc(36), Buffer.alloc(24), u32be(2)]);
  return fullBox('mvhd', version, times, rest);
}

function mp4(moov: Buffer, options: { readonly mdatBytes?: number; readonly moovLast?: boolean; readonly brand?: string } = {}): Buffer {
  const mdat = box('mdat', Buffer.alloc(options.mdatBytes ?? 64, 0x11));
  const head = ftyp(options.brand ?? 'isom', 'isom', 'iso2', 'mp41');
  return Buffer.concat(options.moovLast ? [head, mdat, moov] : [head, moov, mdat]);
}

const moovWith = (header: Buffer): Buffer => box('moov', header, box('trak', fullBox('tkhd', 0, Buffer.alloc(80))), box('udta'));

/** Deterministic pseudo-random bytes (xorshift32). */
function noise(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = state & 0xff;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Shared samples

const T_LOCAL_0830 = '2023:10:06 08:30:00';
const UTC_0630 = Date.UTC(2023, 9, 6, 6, 30, 0);
const UTC_0830 = Date.UTC(2023, 9, 6, 8, 30, 0);
const ORIGINAL_WITH_ZONE = [ascii(0x9003, T_LOCAL_0830), ascii(0x9011, '+02:00'), ascii(0x9004, '2023:10:06 08:30:05')];
const MP4_TIME = Date.UTC(2022, 4, 17, 19, 2, 33);
const mp4Seconds = MP4_TIME / 1000 + EPOCH_1904;

const SAMPLES: readonly (readonly [string, Buffer, number])[] = [
  ['JPEG II', jpeg(cameraTiff('II', ORIGINAL_WITH_ZONE)), UTC_0630],
  ['JPEG MM', jpeg(cameraTiff('MM', ORIGINAL_WITH_ZONE)), UTC_0630],
  ['PNG', png(cameraTiff('MM', ORIGINAL_WITH_ZONE)), UTC_0630],
  ['HEIC', heif(cameraTiff('MM', ORIGINAL_WITH_ZONE), { ilocVersion: 1, offsetSize: 4, lengthSize: 4, baseSize: 0 }), UTC_0630],
  ['MP4', mp4(moovWith(mvhd(0, mp4Seconds))), MP4_TIME],
];

// ---------------------------------------------------------------------------------------------

describe('captureTimeIn: JPEG', () => {
  it('reads DateTimeOriginal with OffsetTimeOriginal, in both byte orders', () => {
    for (const order of ['II', 'MM'] as const) {
      assert.equal(captureTimeIn(jpeg(cameraTiff(order, ORIGINAL_WITH_ZONE)), 'image'), UTC_0630, order);
      const west = [ascii(0x9003, '2023:10:06 01:00:00'), ascii(0x9011, '-05:30')];
      assert.equal(captureTimeIn(jpeg(cameraTiff(order, west)), 'image'), Date.UTC(2023, 9, 6, 6, 30), `${order} west`);
    }
  });

  it('takes a DateTimeOriginal without an offset as UTC', () => {
    for (const order of ['II', 'MM'] as const) {
      assert.equal(captureTimeIn(jpeg(cameraTiff(order, [ascii(0x9003, T_LOCAL_0830)])), 'image'), UTC_0830, order);
    }
  });

  it('adds SubSecTimeOriginal as milliseconds', () => {
    const fields = [ascii(0x9003, T_LOCAL_0830), ascii(0x9011, '+02:00'), ascii(0x9291, '45')];
    assert.equal(captureTimeIn(jpeg(cameraTiff('II', fields)), 'image'), UTC_0630 + 450);
    const long = [ascii(0x9003, T_LOCAL_0830), ascii(0x9291, '123456')];
    assert.equal(captureTimeIn(jpeg(cameraTiff('MM', long)), 'image'), UTC_0830 + 123);
  });

  it('falls back to DateTimeDigitized, then to IFD0 DateTime', () => {
    const digitized = [ascii(0x9003, '0000:00:00 00:00:00'), ascii(0x9004, '2019:02:03 04:05:06'), ascii(0x9012, '+01:00')];
    assert.equal(captureTimeIn(jpeg(cameraTiff('MM', digitized)), 'image'), Date.UTC(2019, 1, 3, 3, 5, 6));
    // only IFD0 DateTime, no Exif IFD at all
    for (const order of ['II', 'MM'] as const) {
      const only = tiff(order, [ascii(0x010f, 'Pixel'), ascii(0x0132, '2015:12:31 23:59:59')]);
      assert.equal(captureTimeIn(jpeg(only), 'image'), Date.UTC(2015, 11, 31, 23, 59, 59), order);
    }
    // an Exif IFD without dates: DateTime with the Exif IFD's OffsetTime
    const zoned = cameraTiff('II', [ascii(0x9010, '+09:00')], [ascii(0x0132, '2015:12:31 23:59:59')]);
    assert.equal(captureTimeIn(jpeg(zoned), 'image'), Date.UTC(2015, 11, 31, 14, 59, 59));
  });

  it('gives no time for zero, blank, impossible or implausible dates', () => {
    for (const date of ['0000:00:00 00:00:00', '    :  :     :  :  ', '', '2023:02:29 10:00:00', '2023:13:01 10:00:00', '2023:10:06 24:00:00', '1899:12:31 23:59:59', '2201:01:01 00:00:00', 'yesterday']) {
      const file = jpeg(tiff('MM', [ascii(0x0132, date)], [ascii(0x9003, date)]));
      assert.equal(captureTimeIn(file, 'image'), undefined, JSON.stringify(date));
    }
    assert.equal(captureTimeIn(jpeg(tiff('MM', [ascii(0x0132, '1900:01:01 00:00:00')])), 'image'), Date.UTC(1900, 0, 1));
    assert.equal(captureTimeIn(jpeg(tiff('MM', [ascii(0x0132, '2024:02:29 12:00:00')])), 'image'), Date.UTC(2024, 1, 29, 12));
  });

  it('ignores a blank or malformed offset', () => {
    for (const zone of ['   :  ', '+2:00', '+15:00', 'CEST']) {
      const fields = [ascii(0x9003, T_LOCAL_0830), ascii(0x9011, zone)];
      assert.equal(captureTimeIn(jpeg(cameraTiff('II', fields)), 'image'), UTC_0830, zone);
    }
  });

  it('gives no time for a JPEG without Exif, or with its Exif cut off', () => {
    assert.equal(captureTimeIn(jpeg(undefined), 'image'), undefined);
    const file = jpeg(cameraTiff('II', ORIGINAL_WITH_ZONE));
    const exifAt = file.indexOf('Exif\0\0');
    assert.ok(exifAt > 0);
    // cut within the Exif segment: the rest of the buffer is there, but past the view
    for (const cut of [exifAt - 3, exifAt + 2, exifAt + 10, exifAt + 60, exifAt + 150]) {
      assert.equal(captureTimeIn(file.subarray(0, cut), 'image'), undefined, `cut at ${cut}`);
    }
  });

  it('gives no time for bad IFD offsets, bad counts and an IFD loop', () => {
    const dated = [ascii(0x0132, '2015:12:31 23:59:59')];
    const cases: readonly (readonly [string, Buffer])[] = [
      ['IFD0 offset out of range', tiff('II', dated, undefined, { ifd0Offset: 0xfffffff0 })],
      ['IFD0 offset just past the end', tiff('MM', dated, undefined, { ifd0Offset: tiff('MM', dated).length })],
      ['IFD0 inside the header', tiff('II', dated, undefined, { ifd0Offset: 2 })],
      ['Exif IFD offset out of range', tiff('II', dated, [ascii(0x9003, T_LOCAL_0830)], { exifOffset: 0x7fffffff })],
      ['IFD0 entry count past the end', tiff('MM', dated, undefined, { ifd0Count: 0xffff })],
      ['Exif IFD pointing back at IFD0 (a loop)', tiff('II', dated, [ascii(0x9003, T_LOCAL_0830)], { exifOffset: 8 })],
      ['a value offset out of range', tiff('MM', [{ tag: 0x0132, type: 2, count: 20, data: Buffer.from([0, 0, 0xff, 0xf0]) }])],
      ['a value longer than any date', tiff('MM', [{ tag: 0x0132, type: 2, count: 100_000, data: Buffer.from([0, 0, 0, 8]) }])],
      ['no TIFF byte order', Buffer.concat([latin1('XX'), tiff('II', dated).subarray(2)])],
      ['no TIFF magic', Buffer.concat([latin1('II'), Buffer.from([43, 0]), tiff('II', dated).subarray(4)])],
    ];
    for (const [name, bytes] of cases) assert.equal(captureTimeIn(jpeg(bytes), 'image'), undefined, name);
    // the same structures unbroken do have a time
    assert.equal(captureTimeIn(jpeg(tiff('II', dated, [ascii(0x9003, T_LOCAL_0830)])), 'image'), UTC_0830);
  });

  it('reads a JPEG and a PNG made by Pillow, and Pillow reads the hand-made TIFF structures alike', (t) => {
    if (spawnSync('python3', ['-c', 'import PIL'], { stdio: 'ignore' }).status !== 0) {
      t.skip('python3 has no PIL');
      return;
    }
    const dir = tempDir('capture-date');
    const script = [
      'import sys',
      'from PIL import Image',
      "img = Image.new('RGB', (16, 16), (200, 30, 30))",
      'exif = img.getexif()',
      "exif[0x0132] = '2001:01:01 00:00:00'",
      'ifd = exif.get_ifd(0x8769)',
      "ifd[0x9003] = '2021:07:14 18:45:12'",
      "ifd[0x9011] = '+09:00'",
      "ifd[0x9291] = '25'",
      "img.save(sys.argv[1] + '/pillow.jpg', 'JPEG', exif=exif)",
      "img.save(sys.argv[1] + '/pillow.png', 'PNG', exif=exif)",
    ].join('\n');
    const made = spawnSync('python3', ['-c', script, dir], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    for (const name of ['pillow.jpg', 'pillow.png']) {
      assert.equal(captureTimeIn(readFileSync(join(dir, name)), 'image'), Date.UTC(2021, 6, 14, 9, 45, 12, 250), name);
    }
    // the other way round: Pillow finds the fields this file builds (its TIFF structures)
    for (const order of ['II', 'MM'] as const) {
      const path = join(dir, `hand-${order}.tif`);
      writeFileSync(path, cameraTiff(order, ORIGINAL_WITH_ZONE));
      const code = 'import sys\nfrom PIL import Image\ne = Image.Exif()\ne.load(open(sys.argv[1], "rb").read())\nx = e.get_ifd(0x8769)\nprint(e[0x0132], x[0x9003], x[0x9011], sep="|")';
      const read = spawnSync('python3', ['-c', code, path], { encoding: 'utf8' });
      assert.equal(read.status, 0, read.stderr);
      assert.equal(read.stdout.trim(), `2024:01:01 00:00:00|${T_LOCAL_0830}|+02:00`, order);
    }
  });
});

describe('captureTimeIn: PNG', () => {
  it('reads an eXIf chunk', () => {
    assert.equal(captureTimeIn(png(cameraTiff('MM', ORIGINAL_WITH_ZONE)), 'image'), UTC_0630);
    assert.equal(captureTimeIn(png(cameraTiff('II', [ascii(0x9003, T_LOCAL_0830)])), undefined), UTC_0830);
  });
});

describe('captureTimeIn: HEIC/HEIF', () => {
  const tiffBytes = cameraTiff('II', ORIGINAL_WITH_ZONE);

  it('finds the Exif item through meta, iinf and iloc (iloc versions 0/1/2, field sizes 0/4/8)', () => {
    const variants: readonly HeifOptions[] = [
      { ilocVersion: 0, offsetSize: 4, lengthSize: 4, baseSize: 0 },
      { ilocVersion: 0, offsetSize: 8, lengthSize: 8, baseSize: 8 },
      { ilocVersion: 0, offsetSize: 0, lengthSize: 4, baseSize: 4 },
      { ilocVersion: 1, offsetSize: 4, lengthSize: 4, baseSize: 4, indexSize: 4 },
      { ilocVersion: 1, offsetSize: 8, lengthSize: 4, baseSize: 0, indexSize: 8 },
      { ilocVersion: 1, offsetSize: 4, lengthSize: 4, baseSize: 0, method: 1 },
      { ilocVersion: 2, offsetSize: 4, lengthSize: 8, baseSize: 8, wideIds: true },
      { ilocVersion: 2, offsetSize: 8, lengthSize: 4, baseSize: 0, method: 1, wideIds: true },
    ];
    for (const variant of variants) {
      assert.equal(captureTimeIn(heif(tiffBytes, variant), 'image'), UTC_0630, JSON.stringify(variant));
      assert.equal(captureTimeIn(heif(cameraTiff('MM', [ascii(0x9003, T_LOCAL_0830)]), variant), undefined), UTC_0830, JSON.stringify(variant));
    }
  });

  it('gives no time when the Exif extent is past the head or out of the file', () => {
    const file = heif(tiffBytes, { ilocVersion: 0, offsetSize: 4, lengthSize: 4, baseSize: 0 });
    const exifAt = file.indexOf('Exif\0\0');
    assert.equal(captureTimeIn(file.subarray(0, exifAt + 40), 'image'), undefined);
    assert.equal(captureTimeIn(file.subarray(0, file.length - 1), 'image'), undefined);
    const far = heif(tiffBytes, { ilocVersion: 1, offsetSize: 4, lengthSize: 4, baseSize: 0, offsetShift: 0x7fff0000 });
    assert.equal(captureTimeIn(far, 'image'), undefined);
    const inIdat = heif(tiffBytes, { ilocVersion: 1, offsetSize: 4, lengthSize: 4, baseSize: 0, method: 1, offsetShift: 1 });
    assert.equal(captureTimeIn(inIdat, 'image'), undefined); // runs one byte past the idat box
  });

  it('gives no time for a meta box without an Exif item', () => {
    const file = Buffer.concat([ftyp('heic', 'mif1'), fullBox('meta', 0, fullBox('hdlr', 0, u32be(0), latin1('pict'), Buffer.alloc(13)))]);
    assert.equal(captureTimeIn(file, 'image'), undefined);
  });
});

describe('captureTimeIn: MP4/MOV', () => {
  it('reads mvhd creation_time, version 0 and version 1', () => {
    assert.equal(captureTimeIn(mp4(moovWith(mvhd(0, mp4Seconds))), 'video'), MP4_TIME);
    assert.equal(captureTimeIn(mp4(moovWith(mvhd(1, mp4Seconds))), 'video'), MP4_TIME);
    // a QuickTime movie, and one without ftyp at all
    assert.equal(captureTimeIn(mp4(moovWith(mvhd(0, mp4Seconds)), { brand: 'qt  ' }), undefined), MP4_TIME);
    assert.equal(captureTimeIn(Buffer.concat([box('wide'), moovWith(mvhd(0, mp4Seconds))]), 'video'), MP4_TIME);
  });

  it('gives no time for creation_time 0, a far-future 64-bit time or an unknown mvhd version', () => {
    assert.equal(captureTimeIn(mp4(moovWith(mvhd(0, 0))), 'video'), undefined);
    assert.equal(captureTimeIn(mp4(moovWith(mvhd(1, 0))), 'video'), undefined);
    assert.equal(captureTimeIn(mp4(moovWith(mvhd(1, 2 ** 40))), 'video'), undefined);
    const v2 = mvhd(0, mp4Seconds);
    v2[8] = 2;
    assert.equal(captureTimeIn(mp4(moovWith(v2)), 'video'), undefined);
  });

  it('gives no time when moov comes after a media data box larger than the head', () => {
    const file = mp4(moovWith(mvhd(0, mp4Seconds)), { mdatBytes: 300 * 1024, moovLast: true });
    assert.equal(captureTimeIn(file.subarray(0, DEFAULT_PEEK_BYTES), 'video'), undefined);
    assert.equal(captureTimeIn(file, 'video'), MP4_TIME); // the whole file has it
    // a 64-bit mdat of 5 GB, of which the head holds the start
    const large = Buffer.concat([ftyp('isom', 'isom'), u32be(1), latin1('mdat'), u64be(5e9), Buffer.alloc(1000)]);
    assert.equal(captureTimeIn(large, 'video'), undefined);
    // an mdat of size 0 (to the end of the file)
    assert.equal(captureTimeIn(Buffer.concat([ftyp('isom'), u32be(0), latin1('mdat'), Buffer.alloc(100)]), 'video'), undefined);
  });

  it('reads a moov that starts in the head and goes on past it', () => {
    const moov = box('moov', mvhd(0, mp4Seconds), box('trak', Buffer.alloc(400_000)));
    const file = mp4(moov);
    assert.equal(captureTimeIn(file.subarray(0, DEFAULT_PEEK_BYTES), 'video'), MP4_TIME);
    assert.equal(captureTimeIn(file.subarray(0, file.indexOf('mvhd') + 10), 'video'), undefined); // mvhd itself cut
  });
});

describe('captureTimeIn: anything else', () => {
  it('gives no time for empty, tiny, garbage and unknown files, without throwing', () => {
    const inputs = [
      Buffer.alloc(0),
      Buffer.from([0xff]),
      Buffer.from([0xff, 0xd8]),
      Buffer.from([0xff, 0xd8, 0xff]),
      Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff]),
      Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0x00, 0x00]),
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), u32be(0xffffffff), latin1('eXIf')]),
      Buffer.concat([u32be(0xffffffff), latin1('ftyp'), latin1('heic')]),
      Buffer.concat([u32be(4), latin1('ftyp')]),
      Buffer.concat([u32be(1), latin1('ftyp'), u64be(Number.MAX_SAFE_INTEGER)]),
      latin1('GIF89a\x01\x00\x01\x00\x00\x00\x00;'),
      latin1('RIFF\x24\x00\x00\x00WEBPVP8 '),
      noise(4096, 7),
      Buffer.alloc(4096),
      Buffer.alloc(4096, 0xff),
    ];
    for (const input of inputs) {
      for (const kind of ['image', 'video', undefined] as const) assert.equal(captureTimeIn(input, kind), undefined, input.subarray(0, 16).toString('hex'));
    }
  });

  it('never throws and never gives another time, whatever prefix of a file it sees', () => {
    for (const [name, file, time] of SAMPLES) {
      assert.equal(captureTimeIn(file, undefined), time, name);
      for (let cut = 0; cut <= file.length; cut++) {
        const found = captureTimeIn(file.subarray(0, cut), undefined);
        assert.ok(found === undefined || found === time, `${name} cut at ${cut}: ${found}`);
      }
    }
  });

  it('never throws on damaged files, and any time it gives is plausible', () => {
    let seed = 12345;
    for (const [name, file] of SAMPLES) {
      for (let round = 0; round < 400; round++) {
        const damaged = Buffer.from(file);
        const flips = noise(8, seed++);
        for (let i = 0; i < 4; i++) {
          const at = ((flips[i] ?? 0) * 256 + (flips[i + 4] ?? 0)) % damaged.length;
          damaged[at] = (flips[(i + 1) % 8] ?? 0) ^ (round & 1 ? 0xff : 0x01);
        }
        let found: number | undefined;
        assert.doesNotThrow(() => (found = captureTimeIn(damaged, undefined)), name);
        if (found !== undefined) {
          assert.ok(found >= Date.UTC(1900, 0, 1) && found < Date.UTC(2201, 0, 1), `${name} round ${round}: ${found}`);
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// peekCaptureTime

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Hashes a stream as it flows (nothing held), and counts its bytes. */
async function hashOf(stream: Readable): Promise<{ readonly hash: string; readonly size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(
    stream,
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done();
      },
    }),
  );
  return { hash: hash.digest('hex'), size };
}

/** A stream of `data` in chunks of `chunk` bytes. */
function chunked(data: Buffer, chunk: number): Readable {
  let at = 0;
  return new Readable({
    read() {
      if (at >= data.length) {
        this.push(null);
        return;
      }
      this.push(data.subarray(at, at + chunk));
      at += chunk;
    },
  });
}

/**
 * A generated stream of `total` bytes: `prefix`, then pseudo-random bytes, made chunk by chunk;
 * `produced` tells how far it got and `hash` is the hash of what it produced so far.
 */
class GeneratedStream extends Readable {
  produced = 0;
  private readonly hasher = createHash('sha256');
  private seed = 99;

  constructor(
    private readonly prefix: Buffer,
    private readonly total: number,
    private readonly chunk: number,
  ) {
    super({ highWaterMark: 64 * 1024 });
  }

  get hash(): string {
    return this.hasher.copy().digest('hex');
  }

  override _read(): void {
    if (this.produced >= this.total) {
      this.push(null);
      return;
    }
    const length = Math.min(this.chunk, this.total - this.produced);
    const out = noise(length, this.seed++);
    if (this.produced < this.prefix.length) this.prefix.copy(out, 0, this.produced, this.produced + length);
    this.produced += length;
    this.hasher.update(out);
    this.push(out);
  }
}

const photo = jpeg(cameraTiff('II', ORIGINAL_WITH_ZONE));

describe('peekCaptureTime', () => {
  it('hands on every byte of bodies smaller than, equal to and larger than the limit', async () => {
    const bodies: readonly (readonly [string, Buffer, number, number | undefined])[] = [
      ['empty', Buffer.alloc(0), 1000, undefined],
      ['smaller', photo, 10_000, 1000],
      ['smaller, 1-byte chunks', photo, 10_000, 1],
      ['equal', Buffer.concat([photo, noise(10_000 - photo.length, 3)]), 10_000, 1000],
      ['equal, chunks ending at the limit', Buffer.concat([photo, noise(10_000 - photo.length, 3)]), 10_000, 2500],
      ['larger, chunks across the limit', Buffer.concat([photo, noise(100_000, 4)]), 10_000, 3001],
      ['larger, limit 0', Buffer.concat([photo, noise(100_000, 4)]), 0, 4096],
      ['larger, limit 1', Buffer.concat([photo, noise(100_000, 4)]), 1, 4096],
      ['one chunk', Buffer.concat([photo, noise(100_000, 4)]), 10_000, undefined],
    ];
    for (const [name, data, limit, chunk] of bodies) {
      const source = chunked(data, chunk ?? Math.max(1, data.length));
      const { time, body } = await peekCaptureTime(source, 'image', limit);
      assert.equal(time, data.length > 0 && limit >= 1000 ? UTC_0630 : undefined, name);
      const out = await hashOf(body);
      assert.equal(out.size, data.length, name);
      assert.equal(out.hash, sha256(data), name);
    }
  });

  it('finds the time in a 20 MB stream and hands it all on, holding only about the head', async () => {
    const total = 20 * 1024 * 1024;
    const source = new GeneratedStream(photo, total, 65_521);
    const { time, body } = await peekCaptureTime(source, 'image');
    assert.equal(time, UTC_0630);
    // nobody reads yet: the source must have stopped near the head
    for (let i = 0; i < 5; i++) await new Promise((done) => setImmediate(done));
    assert.ok(source.produced < DEFAULT_PEEK_BYTES + 4 * 65_521 + 64 * 1024, `produced ${source.produced} before anyone read`);
    const out = await hashOf(body);
    assert.equal(out.size, total);
    assert.equal(source.produced, total);
    assert.equal(out.hash, source.hash);
  });

  it('reads a paused source and a source already ended', async () => {
    const paused = chunked(photo, 100);
    paused.pause();
    const first = await peekCaptureTime(paused, 'image');
    assert.equal(first.time, UTC_0630);
    assert.equal((await hashOf(first.body)).hash, sha256(photo));

    const ended = Readable.from([], { objectMode: false });
    await hashOf(ended);
    const second = await peekCaptureTime(ended, 'image');
    assert.equal(second.time, undefined);
    assert.equal((await hashOf(second.body)).size, 0);
  });

  it('surfaces an error of the source after the head on the returned body', async () => {
    const data = Buffer.concat([photo, noise(1024 * 1024, 5)]);
    let sent = 0;
    const source = new Readable({
      read() {
        if (sent >= 600_000) {
          this.destroy(new Error('disk gone'));
          return;
        }
        this.push(data.subarray(sent, sent + 50_000));
        sent += 50_000;
      },
    });
    const { time, body } = await peekCaptureTime(source, 'image');
    assert.equal(time, UTC_0630);
    await assert.rejects(hashOf(body), /disk gone/);
    assert.ok(source.destroyed);
  });

  it('surfaces an error of the source within the head on the returned body', async () => {
    let sent = 0;
    const source = new Readable({
      read() {
        if (sent > 0) {
          this.destroy(new Error('cut short'));
          return;
        }
        this.push(photo);
        sent += photo.length;
      },
    });
    const { time, body } = await peekCaptureTime(source, 'image');
    assert.equal(time, undefined);
    await assert.rejects(hashOf(body), /cut short/);
  });

  it('fails the returned body when the source is destroyed under it', async () => {
    const source = new GeneratedStream(photo, 10 * 1024 * 1024, 65_536);
    const { body } = await peekCaptureTime(source, 'image');
    const reading = hashOf(body);
    source.destroy();
    await assert.rejects(reading, /closed before its end/);
  });

  it('destroys the source when the returned body is destroyed', async () => {
    const source = new GeneratedStream(photo, 10 * 1024 * 1024, 65_536);
    const { body } = await peekCaptureTime(source, 'image');
    const closed = new Promise((done) => source.once('close', done));
    body.destroy();
    await closed;
    assert.ok(source.destroyed);
    assert.ok(source.produced < 1024 * 1024);

    // with an error, after some reading
    const second = new GeneratedStream(photo, 10 * 1024 * 1024, 65_536);
    const peeked = await peekCaptureTime(second, 'image');
    let seen = 0;
    const failure = new Error('sink full');
    await assert.rejects(
      pipeline(
        peeked.body,
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            seen += chunk.length;
            done(seen > 1024 * 1024 ? failure : undefined);
          },
        }),
      ),
      /sink full/,
    );
    await new Promise((done) => setImmediate(done));
    assert.ok(second.destroyed);
    assert.ok(second.produced < 5 * 1024 * 1024);
  });

  it('refuses a limit that is not a whole number of bytes', async () => {
    for (const limit of [-1, 1.5, Infinity, Number.NaN]) {
      await assert.rejects(peekCaptureTime(chunked(photo, 10), 'image', limit), RangeError, String(limit));
    }
  });
});
