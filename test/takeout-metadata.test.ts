// What the importer reads from a Takeout JSON sidecar (every field may be missing; "0" is no
// time; 0,0 is no place) and the XMP sidecar it writes from it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mimeTypeOf, takeoutItemId, unnumbered } from '../src/sources/takeout/plan.js';
import { parseSidecar, timestampOf } from '../src/sources/takeout/sidecar-json.js';
import { xmpCoordinate, xmpSidecar } from '../src/sources/takeout/xmp.js';

const SAMPLE = JSON.stringify({
  title: 'PXL_20231006_063000139.jpg',
  description: 'Tour Eiffel <3 & "friends"',
  imageViews: '2',
  creationTime: { timestamp: '1697872351', formatted: '21 oct. 2023, 07:12:31 UTC' },
  photoTakenTime: { timestamp: '1696573800', formatted: '6 oct. 2023, 06:30:00 UTC' },
  geoData: { latitude: 48.8583736, longitude: 2.291901, altitude: 82.09, latitudeSpan: 0.0, longitudeSpan: 0.0 },
  geoDataExif: { latitude: 48.8583736, longitude: 2.291901, altitude: 82.09, latitudeSpan: 0.0, longitudeSpan: 0.0 },
  url: 'https://photos.google.com/photo/AF1QipExample',
  favorited: true,
  people: [{ name: 'Ada' }, { name: '' }, {}],
});

describe('Takeout sidecar JSON', () => {
  it('reads the facts sheet sample: capture time, place, title, description, favourite, people', () => {
    assert.deepEqual(parseSidecar(SAMPLE), {
      title: 'PXL_20231006_063000139.jpg',
      description: 'Tour Eiffel <3 & "friends"',
      takenAt: 1696573800,
      geo: { latitude: 48.8583736, longitude: 2.291901, altitude: 82.09 },
      favorited: true,
      url: 'https://photos.google.com/photo/AF1QipExample',
      people: ['Ada'],
    });
  });

  it('"0", missing and broken times are no time; 0,0 is no place, and geoData stands in for a 0,0 geoDataExif', () => {
    assert.equal(timestampOf({ timestamp: '0' }), undefined);
    assert.equal(timestampOf({}), undefined);
    assert.equal(timestampOf({ timestamp: 'yesterday' }), undefined);
    assert.equal(timestampOf(undefined), undefined);
    assert.equal(timestampOf({ timestamp: 1696573800 }), 1696573800);
    const zeroExif = parseSidecar(JSON.stringify({ geoDataExif: { latitude: 0, longitude: 0 }, geoData: { latitude: -33.85, longitude: 151.2 } }));
    assert.deepEqual(zeroExif?.geo, { latitude: -33.85, longitude: 151.2 });
    assert.equal(parseSidecar(JSON.stringify({ geoData: { latitude: 0, longitude: 0, altitude: 0 } }))?.geo, undefined);
    assert.deepEqual(parseSidecar('{}'), {});
  });

  it('a sidecar that is not a JSON object says nothing', () => {
    for (const text of ['', 'not json', '[1,2]', 'null', '"x"']) assert.equal(parseSidecar(text), undefined, text);
  });
});

describe('XMP sidecar', () => {
  it('carries capture time, place, description, title, favourite and people, escaped', () => {
    const xmp = xmpSidecar(parseSidecar(SAMPLE));
    assert.match(xmp, /<exif:DateTimeOriginal>2023-10-06T06:30:00Z<\/exif:DateTimeOriginal>/);
    assert.match(xmp, /<photoshop:DateCreated>2023-10-06T06:30:00Z<\/photoshop:DateCreated>/);
    assert.match(xmp, /<exif:GPSLatitude>48,51\.502416N<\/exif:GPSLatitude>/);
    assert.match(xmp, /<exif:GPSLongitude>2,17\.514060E<\/exif:GPSLongitude>/);
    assert.match(xmp, /<exif:GPSAltitude>8209\/100<\/exif:GPSAltitude>/);
    assert.match(xmp, /Tour Eiffel &lt;3 &amp; &quot;friends&quot;/);
    assert.match(xmp, /<xmp:Rating>5<\/xmp:Rating>/);
    assert.match(xmp, /<rdf:li>Ada<\/rdf:li>/);
    assert.ok(xmp.startsWith('<?xpacket begin='));
  });

  it('south and west are S and W; below sea level is GPSAltitudeRef 1; nothing known is an empty description', () => {
    assert.equal(xmpCoordinate(-33.5, 'N', 'S'), '33,30.000000S');
    assert.equal(xmpCoordinate(-0.25, 'E', 'W'), '0,15.000000W');
    assert.match(xmpSidecar({ geo: { latitude: 31.5, longitude: 35.5, altitude: -430 } }), /<exif:GPSAltitudeRef>1<\/exif:GPSAltitudeRef>/);
    const empty = xmpSidecar(undefined);
    assert.doesNotMatch(empty, /exif:DateTimeOriginal|GPSLatitude|Rating/);
    assert.match(empty, /<rdf:Description rdf:about=""/);
  });
});

describe('Takeout items', () => {
  it('one id per name (without its folder\'s (n)), size and CRC, whatever the folder; NFC and NFD names are one', () => {
    const id = (name: string, size: number, crc: number | undefined, folder = 'Photos from 2020') => takeoutItemId({ name, size, crc, folder });
    assert.equal(id('IMG_1.jpg', 10, 123), id('IMG_1.jpg', 10, 123, 'My album'));
    assert.equal(id('IMG_1(1).jpg', 10, 123), id('IMG_1.jpg', 10, 123, 'My album'));
    assert.equal(id('Caf\u00e9.jpg', 10, 5), id('Cafe\u0301.jpg', 10, 5));
    assert.notEqual(id('IMG_1.jpg', 10, 123), id('IMG_1.jpg', 10, 124));
    assert.notEqual(id('IMG_1.jpg', 10, 123), id('IMG_2.jpg', 10, 123));
    assert.notEqual(id('IMG_1.jpg', 10, 123), id('IMG_1.jpg', 11, 123));
    assert.match(id('a', 1, undefined), /^takeout-[0-9a-f]{32}$/);
  });

  it('without a CRC (an extracted folder) the folder is part of the id: two files of one name and size in two folders stay two items', () => {
    const id = (folder: string) => takeoutItemId({ name: 'DSC_0001.NEF', size: 24_000_000, folder });
    assert.notEqual(id('Photos from 2019'), id('Photos from 2021'));
    assert.equal(id('Photos from 2019'), id('Photos from 2019'));
    // `IMG(1).JPG` beside `IMG.JPG` is another photo of that name: without a CRC, never the same item.
    assert.notEqual(takeoutItemId({ name: 'IMG(1).JPG', size: 10, folder: 'x' }), takeoutItemId({ name: 'IMG.JPG', size: 10, folder: 'x' }));
  });

  it('unnumbered takes off the (n) Takeout gives same-named files, and only that', () => {
    assert.equal(unnumbered('IMG_3479(1).JPG'), 'IMG_3479.JPG');
    assert.equal(unnumbered('2025-04-28(3516).jpg'), '2025-04-28.jpg');
    assert.equal(unnumbered('photo (2)'), 'photo ');
    assert.equal(unnumbered('IMG_3479.JPG'), 'IMG_3479.JPG');
    assert.equal(unnumbered('(1).jpg'), '(1).jpg');
  });

  it('MIME types by extension, whatever the case', () => {
    assert.equal(mimeTypeOf('IMG_0100.HEIC'), 'image/heic');
    assert.equal(mimeTypeOf('IMG_0100.MOV'), 'video/quicktime');
    assert.equal(mimeTypeOf('PXL_1.MP'), 'application/octet-stream');
    assert.equal(mimeTypeOf('noext'), 'application/octet-stream');
  });
});
