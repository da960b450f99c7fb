// The synthetic Takeout fixture (test/harness/takeout-fixture.ts), checked with tools that share no
// code with it: Python's zipfile and tarfile read every part and hash every member, and the
// expected sidecars, roles and relations are compared with what src/sources/takeout's matcher
// finds in each folder (all names of the folder, gathered across parts, as the importer will).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { classifyTakeoutPath } from '../src/sources/takeout/paths.js';
import { matchFolder, type FolderMatch } from '../src/sources/takeout/sidecar-match.js';
import { restorePart, truncatePart, writeTakeout, type FixtureFormat, type TakeoutFixture } from './harness/takeout-fixture.js';
import { tempDir } from './harness/tmp.js';

interface PyEntry {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
  /** zip: ZIP_STORED 0, ZIP_DEFLATED 8; tgz: null. */
  readonly method: number | null;
}

const PY_LIST = `
import sys, json, hashlib, zipfile, tarfile
fmt, paths = sys.argv[1], sys.argv[2:]
def digest(f):
    h = hashlib.sha256()
    for chunk in iter(lambda: f.read(1 << 20), b''):
        h.update(chunk)
    return h.hexdigest()
out = []
for path in paths:
    entries = []
    if fmt == 'zip':
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                with z.open(info) as f:
                    entries.append({'name': info.filename, 'size': info.file_size, 'sha256': digest(f), 'method': info.compress_type})
    else:
        with tarfile.open(path, 'r:gz') as t:
            for m in t:
                if m.isfile():
                    entries.append({'name': m.name, 'size': m.size, 'sha256': digest(t.extractfile(m)), 'method': None})
    out.append(entries)
print(json.dumps(out))
`;

/** Each part's entries as Python reads them (throws when Python cannot read a part). */
function pyList(format: FixtureFormat, parts: readonly string[]): PyEntry[][] {
  const out = execFileSync('python3', ['-c', PY_LIST, format, ...parts], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out) as PyEntry[][];
}

const codePoints = (text: string): number => [...text].length;

/** Archive path → part (1-based), from Python's listing. */
function partsByPath(listing: readonly PyEntry[][]): Map<string, number> {
  const parts = new Map<string, number>();
  listing.forEach((entries, i) => {
    for (const entry of entries) {
      assert.ok(!parts.has(entry.name), `${entry.name} is in two parts`);
      parts.set(entry.name, i + 1);
    }
  });
  return parts;
}

/** Python's listing equals the fixture's entries, part by part, in order, byte for byte. */
function assertListing(fixture: TakeoutFixture, listing: readonly PyEntry[][], format: FixtureFormat): void {
  assert.equal(listing.length, fixture.parts.length);
  listing.forEach((entries, i) => {
    const expected = fixture.entries.filter((entry) => entry.part === i + 1);
    assert.deepEqual(
      entries.map(({ name, size, sha256 }) => ({ name, size, sha256 })),
      expected.map(({ path, size, sha256 }) => ({ name: path, size, sha256 })),
      `part ${i + 1}`,
    );
    if (format === 'zip') {
      entries.forEach((entry, j) => assert.equal(entry.method, expected[j]?.compressed ? 8 : 0, `compression of ${entry.name}`));
    }
  });
  // Every copy of every item is where the fixture says, with its bytes and JSON.
  const byPath = new Map(listing.flatMap((entries, i) => entries.map((entry) => [entry.name, { ...entry, part: i + 1 }] as const)));
  for (const item of fixture.items) {
    assert.equal(item.copies.length, item.folders.length, item.label);
    assert.equal(item.mediaPart, item.copies[0]?.part, item.label);
    assert.equal(item.jsonPart, item.copies[0]?.jsonPart, item.label);
    for (const copy of item.copies) {
      const media = byPath.get(copy.path);
      assert.ok(media, `${item.label}: ${copy.path} missing`);
      assert.deepEqual([media.size, media.sha256, media.part], [item.size, item.sha256, copy.part], `${item.label} in ${copy.folder}`);
      assert.equal(copy.path, `Takeout/${fixture.topFolder}/${copy.folder}/${item.name}`);
      if (item.sidecar === undefined) continue;
      assert.equal(copy.jsonPath, `Takeout/${fixture.topFolder}/${copy.folder}/${item.sidecar}`);
      const json = byPath.get(copy.jsonPath);
      assert.ok(json, `${item.label}: ${copy.jsonPath} missing`);
      assert.equal(json.part, copy.jsonPart, `${item.label}: JSON part`);
      if (item.json !== undefined) assert.equal(json.sha256, createHash('sha256').update(item.json, 'utf8').digest('hex'), `${item.label}: JSON bytes`);
    }
  }
  for (const path of [...fixture.skipped, ...fixture.nonMedia]) assert.ok(byPath.has(path), `${path} missing`);
}

/** Runs the matcher on each folder (its names from every part) and compares it with the items. */
function assertMatcherAgrees(fixture: TakeoutFixture, listing: readonly PyEntry[][]): Map<string, FolderMatch> {
  const prefix = `Takeout/${fixture.topFolder}/`;
  const folders = new Map<string, string[]>();
  for (const entry of listing.flat()) {
    if (!entry.name.startsWith(prefix)) continue;
    const rest = entry.name.slice(prefix.length);
    const slash = rest.lastIndexOf('/');
    const folder = slash < 0 ? '' : rest.slice(0, slash);
    folders.set(folder, [...(folders.get(folder) ?? []), rest.slice(slash + 1)]);
  }
  const results = new Map([...folders].map(([folder, names]) => [folder, matchFolder(names)] as const));
  const skippedFolders = new Set(fixture.skipped.map((path) => path.slice(prefix.length, path.lastIndexOf('/'))));
  for (const item of fixture.items) {
    for (const folder of item.folders) {
      const match = results.get(folder)?.media.get(item.name);
      assert.ok(match, `${item.label}: the matcher has no ${item.name} in ${folder}`);
      assert.deepEqual(
        { sidecar: match.sidecar, role: match.role, of: match.of, how: match.how },
        { sidecar: item.sidecar, role: item.role, of: item.of, how: item.rule },
        `${item.label} in ${folder}`,
      );
    }
  }
  const unmatched: string[] = [];
  for (const [folder, result] of results) {
    assert.deepEqual(result.unusedSidecars, [], `unused sidecars in ${folder}`);
    if (skippedFolders.has(folder) || folder === '') continue;
    unmatched.push(...result.unmatchedMedia);
    const expected = fixture.items.filter((item) => item.folders.includes(folder)).map((item) => item.name).sort();
    assert.deepEqual([...result.media.keys()], expected, `media of ${folder}`);
  }
  assert.deepEqual(unmatched.sort(), [...fixture.unmatched].sort());
  return results;
}

function item(fixture: TakeoutFixture, label: string) {
  const found = fixture.items.find((candidate) => candidate.label === label);
  assert.ok(found, `no item ${label}`);
  return found;
}

const fileSha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('Takeout fixture', () => {
  const dir = tempDir('takeout-fixture');
  let zip: TakeoutFixture;
  let tgz: TakeoutFixture;
  let zipListing: PyEntry[][];
  let tgzListing: PyEntry[][];

  before(async () => {
    zip = await writeTakeout(join(dir, 'zip'), { format: 'zip', seed: 7 });
    tgz = await writeTakeout(join(dir, 'tgz'), { format: 'tgz', seed: 7 });
    zipListing = pyList('zip', zip.parts);
    tgzListing = pyList('tgz', tgz.parts);
  });

  it('zip: Python reads every part; members, sizes, hashes and compression are as the fixture says', () => {
    assert.deepEqual(zip.parts.map((part) => part.slice(dir.length)), ['/zip/takeout-20250102T030405Z-001.zip', '/zip/takeout-20250102T030405Z-002.zip', '/zip/takeout-20250102T030405Z-003.zip']);
    assertListing(zip, zipListing, 'zip');
    assert.equal(zip.bytes, zip.parts.reduce((sum, part) => sum + readFileSync(part).length, 0));
  });

  it('tgz: Python reads every part; the items are the same as the zip export of the same seed', () => {
    assert.ok(tgz.parts.every((part) => part.endsWith('.tgz')));
    assertListing(tgz, tgzListing, 'tgz');
    assert.deepEqual(tgz.items, zip.items);
    assert.deepEqual(tgz.entries.map(({ compressed: _, ...entry }) => entry), zip.entries.map(({ compressed: _, ...entry }) => entry));
  });

  it('the matcher agrees with every expected sidecar, role and relation, in both formats', () => {
    assertMatcherAgrees(zip, zipListing);
    assertMatcherAgrees(tgz, tgzListing);
  });

  it('covers the quirks of §8.3 with the names Google writes', () => {
    const labels = zip.items.map((i) => i.label);
    for (const label of ['old-json', 'supplemental', 'clipped-supple', 'clipped-46', 'numbered(1)', 'scan(1)', 'no-ext-json', 'other-ext-json', 'edited', 'edited-de', 'live-still', 'live-clip', 'pixel-still', 'pixel-mp', 'video', 'emoji', 'nfd', 'taken-zero', 'geo-exif', 'unmatched', 'album-only']) {
      assert.ok(labels.includes(label), label);
    }
    assert.equal(new Set(labels).size, labels.length);
    assert.equal(new Set(zip.items.map((i) => i.sha256)).size, zip.items.length, 'distinct bytes');
    for (const label of ['clipped-supple', 'clipped-46', 'pixel-still']) assert.equal(codePoints(item(zip, label).sidecar ?? ''), 51, label);
    assert.match(item(zip, 'clipped-supple').sidecar ?? '', /\.jpg\.supple\.json$/u);
    assert.ok(codePoints(item(zip, 'clipped-46').name) > 46);
    assert.match(item(zip, 'clipped-46').sidecar ?? '', /_n\.j\.json$/u);
    assert.equal(item(zip, 'numbered(1)').sidecar, 'IMG_3479.JPG(1).json');
    assert.equal(item(zip, 'scan(1)').sidecar, 'Scan35.jpg.supplemental-metadata(1).json');
    assert.equal(item(zip, 'no-ext-json').sidecar, 'Peanut Butter Balls.supplemental-metadata.json');
    assert.equal(item(zip, 'other-ext-json').sidecar, 'IMG_1234.jpeg.json');
    assert.equal(item(zip, 'edited-de').name, 'IMG_0006-bearbeitet.jpg');
    assert.deepEqual([item(zip, 'live-clip').of, item(zip, 'live-clip').json], ['IMG_0100.HEIC', undefined]);
    assert.deepEqual([item(zip, 'pixel-mp').name, item(zip, 'pixel-mp').of], ['PXL_20231006_063000139.MP', 'PXL_20231006_063000139.MP.jpg']);
    // The NFD name is stored as NFD bytes (Python decodes the archive's UTF-8 as is).
    const nfd = item(zip, 'nfd');
    assert.notEqual(nfd.name, nfd.name.normalize('NFC'));
    assert.ok(zipListing.flat().some((entry) => entry.name.endsWith(`/${nfd.name}`)));
    assert.ok(tgzListing.flat().some((entry) => entry.name.endsWith(`/${nfd.name}`)));
    assert.ok(!zipListing.flat().some((entry) => entry.name.endsWith(`/${nfd.name.normalize('NFC')}`)));
    // Media look like their type.
    const head = (label: string): Buffer => {
      const copy = item(zip, label).copies[0];
      assert.ok(copy);
      return Buffer.from(execFileSync('python3', ['-c', 'import sys,zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2])[:12])', zip.parts[copy.part - 1] ?? '', copy.path]));
    };
    assert.deepEqual([...head('old-json').subarray(0, 3)], [0xff, 0xd8, 0xff]);
    assert.equal(head('live-still').subarray(4, 12).toString('latin1'), 'ftypheic');
    assert.equal(head('live-clip').subarray(4, 12).toString('latin1'), 'ftypqt  ');
    assert.equal(head('video').subarray(4, 8).toString('latin1'), 'ftyp');
  });

  it('writes sidecar JSON with the fields of §8.4', () => {
    const urls = new Set<string>();
    for (const it of zip.items.filter((i) => i.json !== undefined)) {
      const json = JSON.parse(it.json ?? '') as Record<string, unknown> & { photoTakenTime: { timestamp: unknown; formatted: unknown }; url: string };
      for (const field of ['title', 'description', 'imageViews', 'creationTime', 'photoTakenTime', 'url', 'googlePhotosOrigin']) assert.ok(field in json, `${it.label}: ${field}`);
      assert.equal(typeof json.photoTakenTime.timestamp, 'string');
      assert.equal(typeof json.photoTakenTime.formatted, 'string');
      assert.equal(it.takenAt, json.photoTakenTime.timestamp === '0' ? undefined : Number(json.photoTakenTime.timestamp), it.label);
      assert.match(json.url, /^https:\/\/photos\.google\.com\/photo\/AF1Qip[\w-]+$/u);
      urls.add(json.url);
    }
    assert.equal(urls.size, zip.items.filter((i) => i.json !== undefined).length, 'unique urls');
    assert.ok(zip.items.some((i) => i.json?.includes('"favorited": true')));
    assert.ok(zip.items.some((i) => i.json?.includes('"people"')));
    assert.equal(item(zip, 'taken-zero').takenAt, undefined);
    assert.equal(item(zip, 'taken-zero').folders[0], 'Photos from 1970');
    assert.equal(item(zip, 'unmatched').takenAt, undefined);
    // geoData 0,0 with geoDataExif set: the EXIF place.
    const exif = JSON.parse(item(zip, 'geo-exif').json ?? '') as { geoData: { latitude: number }; geoDataExif: { latitude: number; longitude: number; altitude: number } };
    assert.equal(exif.geoData.latitude, 0);
    assert.deepEqual(item(zip, 'geo-exif').geo, { latitude: exif.geoDataExif.latitude, longitude: exif.geoDataExif.longitude, altitude: exif.geoDataExif.altitude });
    assert.equal(item(zip, 'no-ext-json').geo, undefined);
    assert.ok(!(item(zip, 'no-ext-json').json ?? '').includes('geoData'));
    // Edited copies and companions carry the metadata of the JSON they share.
    assert.equal(item(zip, 'live-clip').takenAt, item(zip, 'live-still').takenAt);
    assert.equal(item(zip, 'edited').takenAt, item(zip, 'edited-original').takenAt);
  });

  it('lays out albums, special folders and other files as §8.2 does', () => {
    const names = zip.entries.map((entry) => entry.path);
    assert.deepEqual(zip.albums.map((a) => [a.folder, a.title, [...a.items].sort()]), [
      ['Anniversaire de Mamie', 'Anniversaire de Mamie', ['DSC_0700.jpg', 'IMG_0001.JPG']],
      ['Holiday 2023', 'Holiday 2023', ['IMG_0005.jpg', 'IMG_0100.HEIC', 'IMG_0100.MOV', 'VID_20230101.mp4']],
    ]);
    for (const album of zip.albums) {
      for (const name of album.items) {
        const it = zip.items.find((i) => i.name === name);
        assert.ok(it?.folders.includes(album.folder));
        if (it?.label !== 'album-only') assert.ok(it?.folders.some((folder) => folder.startsWith('Photos from ')), `${name} is also in a year folder`);
      }
    }
    assert.deepEqual(item(zip, 'album-only').folders, ['Anniversaire de Mamie']);
    const metadata = JSON.parse(readMember(zip, 'Takeout/Google Photos/Holiday 2023/metadata.json')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(metadata), ['title', 'description', 'access', 'date', 'location', 'geoData']);
    assert.equal(metadata.title, 'Holiday 2023');
    assert.ok(names.includes('Takeout/Google Photos/Anniversaire de Mamie/métadonnées.json'));
    assert.deepEqual(zip.skipped.map((path) => classifyTakeoutPath(path)?.folderKind), ['trash', 'trash', 'failed-videos', 'failed-videos']);
    assert.deepEqual(zip.nonMedia, ['Takeout/archive_browser.html', 'Takeout/Google Photos/print-subscriptions.json', 'Takeout/Google Photos/Photos from 2023/.DS_Store']);
    assert.equal(classifyTakeoutPath('Takeout/archive_browser.html'), undefined);
    for (const entry of zip.entries) {
      const kind = classifyTakeoutPath(entry.path);
      if (entry.path === 'Takeout/archive_browser.html') continue;
      assert.equal(kind?.fileKind, entry.kind, entry.path);
    }
  });

  it('spreads entries over parts: a JSON after its media, Photos from 2023 over two parts', () => {
    const parts = partsByPath(zipListing);
    const laterJson = zip.items.filter((i) => i.jsonPart !== undefined && i.json !== undefined && i.jsonPart > i.mediaPart);
    assert.ok(laterJson.length > 0);
    for (const it of laterJson) assert.ok((parts.get(it.copies[0]?.jsonPath ?? '') ?? 0) > (parts.get(it.copies[0]?.path ?? '') ?? 0));
    const spread = (fixture: TakeoutFixture, listing: readonly PyEntry[][]) =>
      new Set([...partsByPath(listing)].filter(([path]) => path.startsWith(`Takeout/${fixture.topFolder}/Photos from 2023/`)).map(([, part]) => part)).size;
    assert.ok(spread(zip, zipListing) >= 2);
    assert.ok(spread(tgz, tgzListing) >= 2);
  });

  it('spreads the same way for 2 and 5 parts, with a localized top folder and Trash', async () => {
    for (const parts of [2, 5]) {
      const fixture = await writeTakeout(join(dir, `parts-${parts}`), { format: 'zip', parts, topFolder: 'Google Fotos', yearPrefix: 'Fotos von', trashFolder: 'Papierkorb', name: 'takeout-20260101T000000Z' });
      const listing = pyList('zip', fixture.parts);
      assert.equal(listing.length, parts);
      assert.ok(fixture.parts[parts - 1]?.endsWith(`takeout-20260101T000000Z-00${parts}.zip`));
      assertListing(fixture, listing, 'zip');
      assertMatcherAgrees(fixture, listing);
      assert.ok(fixture.items.some((i) => i.jsonPart !== undefined && i.jsonPart > i.mediaPart));
      assert.ok(fixture.entries.every((entry) => entry.path === 'Takeout/archive_browser.html' || entry.path.startsWith('Takeout/Google Fotos/')));
      assert.deepEqual(fixture.skipped.map((path) => classifyTakeoutPath(path)?.folderKind), ['trash', 'trash', 'failed-videos', 'failed-videos']);
      assert.equal(classifyTakeoutPath(item(fixture, 'video').copies[0]?.path ?? '')?.year, 2023);
    }
  });

  it('is deterministic from the seed', async () => {
    const again = await writeTakeout(join(dir, 'again'), { format: 'zip', seed: 7 });
    assert.deepEqual(again.parts.map(fileSha), zip.parts.map(fileSha));
    assert.deepEqual(again.items, zip.items.map((i) => i));
    const other = await writeTakeout(join(dir, 'other'), { format: 'tgz', seed: 8, parts: 1 });
    assert.equal(other.parts.length, 1);
    assert.notEqual(item(other, 'old-json').sha256, item(zip, 'old-json').sha256);
    assert.deepEqual(other.items.map((i) => [i.label, i.name, i.sidecar]), zip.items.map((i) => [i.label, i.name, i.sidecar]));
  });

  it('zip64: Python reads a zip written with Zip64 records', async () => {
    const fixture = await writeTakeout(join(dir, 'zip64'), { format: 'zip', zip64: true, parts: 2 });
    assertListing(fixture, pyList('zip', fixture.parts), 'zip');
    const zip64Eocd = Buffer.from([0x50, 0x4b, 0x06, 0x06]);
    for (const part of fixture.parts) assert.ok(readFileSync(part).includes(zip64Eocd), `${part} has a Zip64 end record`);
    for (const part of zip.parts) assert.ok(!readFileSync(part).includes(zip64Eocd), `${part} has no Zip64 end record`);
  });

  it('bulk items are streamed into both formats with the hashes Python finds; compressMedia deflates media', async () => {
    for (const format of ['zip', 'tgz'] as const) {
      const fixture = await writeTakeout(join(dir, `bulk-${format}`), { format, parts: 2, bulk: { count: 12, bytes: 300_000 }, compressMedia: true });
      const listing = pyList(format, fixture.parts);
      assertListing(fixture, listing, format);
      assertMatcherAgrees(fixture, listing);
      const bulk = fixture.items.filter((i) => i.label.startsWith('bulk-'));
      assert.equal(bulk.length, 12);
      assert.deepEqual(new Set(bulk.map((i) => i.mediaPart)), new Set([1, 2]));
      assert.ok(bulk.every((i) => i.size === 300_000 && /^[0-9a-f]{64}$/u.test(i.sha256) && i.folders[0] === 'Photos from 2024'));
      assert.equal(new Set(bulk.map((i) => i.sha256)).size, 12);
      if (format === 'zip') assert.ok(listing.flat().every((entry) => entry.method === 8));
    }
  });

  it('truncatePart leaves a part Python cannot open, and its copy puts it back', async () => {
    for (const [format, fixture] of [['zip', zip], ['tgz', tgz]] as const) {
      const part = fixture.parts[1] ?? '';
      const whole = fileSha(part);
      const copy = await truncatePart(part, 0.6);
      assert.equal(readFileSync(part).length, Math.floor(readFileSync(copy).length * 0.6));
      assert.throws(() => pyList(format, [part]), `${format}: a truncated part must not open`);
      await restorePart(copy, part);
      assert.equal(fileSha(part), whole);
      assertListing(fixture, pyList(format, fixture.parts), format);
    }
  });
});

function readMember(fixture: TakeoutFixture, path: string): string {
  const entry = fixture.entries.find((e) => e.path === path);
  assert.ok(entry, path);
  return execFileSync('python3', ['-c', 'import sys,zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))', fixture.parts[entry.part - 1] ?? '', path], { encoding: 'utf8' });
}
