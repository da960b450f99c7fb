// The XMP sidecar (`<file>.xmp`) written beside each imported item, so photo managers (Immich,
// PhotoPrism, digiKam, darktable) pick up what only the Takeout JSON knows: the capture time
// (exif:DateTimeOriginal, photoshop:DateCreated, xmp:CreateDate, in UTC as Google gives it),
// the place (exif:GPSLatitude/GPSLongitude in the XMP form "DDD,MM.mmmmmmK", GPSAltitude as a
// rational), the description (dc:description), favourites (xmp:Rating 5) and the people named
// (Iptc4xmpExt:PersonInImage). The media file's own bytes are never changed.
import type { GeoPoint, TakeoutMetadata } from './sidecar-json.js';

function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c)
    // characters XML 1.0 does not allow at all
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
}

/** One coordinate in XMP's GPSCoordinate form: degrees, decimal minutes, hemisphere. */
export function xmpCoordinate(value: number, positive: 'N' | 'E', negative: 'S' | 'W'): string {
  const abs = Math.abs(value);
  const degrees = Math.floor(abs);
  const minutes = (abs - degrees) * 60;
  return `${degrees},${minutes.toFixed(6)}${value < 0 ? negative : positive}`;
}

function gpsProperties(geo: GeoPoint): string[] {
  const lines = [
    `<exif:GPSLatitude>${xmpCoordinate(geo.latitude, 'N', 'S')}</exif:GPSLatitude>`,
    `<exif:GPSLongitude>${xmpCoordinate(geo.longitude, 'E', 'W')}</exif:GPSLongitude>`,
  ];
  if (geo.altitude !== undefined) {
    lines.push(`<exif:GPSAltitude>${Math.round(Math.abs(geo.altitude) * 100)}/100</exif:GPSAltitude>`);
    lines.push(`<exif:GPSAltitudeRef>${geo.altitude < 0 ? 1 : 0}</exif:GPSAltitudeRef>`);
  }
  return lines;
}

/** The capture time as XMP writes dates (ISO 8601 with the zone): `2023-10-06T06:30:00Z`. */
export function xmpDate(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

function properties(meta: TakeoutMetadata): string[] {
  const lines: string[] = [];
  if (meta.takenAt !== undefined) {
    const date = xmpDate(meta.takenAt);
    lines.push(`<exif:DateTimeOriginal>${date}</exif:DateTimeOriginal>`, `<photoshop:DateCreated>${date}</photoshop:DateCreated>`, `<xmp:CreateDate>${date}</xmp:CreateDate>`);
  }
  if (meta.geo) lines.push(...gpsProperties(meta.geo));
  if (meta.description !== undefined) lines.push(`<dc:description><rdf:Alt><rdf:li xml:lang="x-default">${escapeXml(meta.description)}</rdf:li></rdf:Alt></dc:description>`);
  if (meta.title !== undefined) lines.push(`<dc:title><rdf:Alt><rdf:li xml:lang="x-default">${escapeXml(meta.title)}</rdf:li></rdf:Alt></dc:title>`);
  if (meta.favorited) lines.push('<xmp:Rating>5</xmp:Rating>');
  if (meta.people && meta.people.length > 0) {
    lines.push(`<Iptc4xmpExt:PersonInImage><rdf:Bag>${meta.people.map((p) => `<rdf:li>${escapeXml(p)}</rdf:li>`).join('')}</rdf:Bag></Iptc4xmpExt:PersonInImage>`);
  }
  return lines;
}

/** The XMP packet for an item; with no metadata it still names the item, so every item has one. */
export function xmpSidecar(meta: TakeoutMetadata | undefined): string {
  const body = properties(meta ?? {}).map((line) => `      ${line}`);
  return [
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
    '  <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    '    <rdf:Description rdf:about=""',
    '        xmlns:exif="http://ns.adobe.com/exif/1.0/"',
    '        xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"',
    '        xmlns:xmp="http://ns.adobe.com/xap/1.0/"',
    '        xmlns:dc="http://purl.org/dc/elements/1.1/"',
    '        xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">',
    ...body,
    '    </rdf:Description>',
    '  </rdf:RDF>',
    '</x:xmpmeta>',
    '<?xpacket end="w"?>',
    '',
  ].join('\n');
}
