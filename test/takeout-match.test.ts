// Google Takeout file names (google-photos-api.md §8.2-8.3): where an archive entry sits in the
// Google Photos export, and which JSON sidecar each media file of a folder gets, by which rule.
// The examples are the real ones the facts sheet cites (immich-go, ente, GPTH tests and issues);
// long names are built so that Google's 46-character clip really applies, and their lengths are
// checked in code points.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyTakeoutPath } from '../src/sources/takeout/paths.js';
import { matchFolder, type FolderMatch, type MediaMatch } from '../src/sources/takeout/sidecar-match.js';

/** Length in Unicode code points. */
const codePoints = (text: string): number => [...text].length;
const SUPPLEMENTAL = '.supplemental-metadata';

/** The JSON name Google writes for `title`: the first 46 code points, then `(n)` and `.json`. */
function clippedJson(title: string, form: 'old' | 'new', index?: number): string {
  const clip = [...(form === 'new' ? title + SUPPLEMENTAL : title)].slice(0, 46).join('');
  return `${clip}${index === undefined ? '' : `(${index})`}.json`;
}

function matchOf(result: FolderMatch, name: string): MediaMatch {
  const match = result.media.get(name);
  assert.ok(match, `${name} is not a media file of the result`);
  return match;
}

/** Asserts that each media file got the given sidecar by the given rule. */
function assertSidecars(result: FolderMatch, expected: Record<string, readonly [string | undefined, string?]>): void {
  for (const [media, [sidecar, how]] of Object.entries(expected)) {
    const match = matchOf(result, media);
    assert.equal(match.sidecar, sidecar, `sidecar of ${media}`);
    if (how !== undefined) assert.equal(match.how, how, `rule for ${media}`);
  }
}

/** A deterministic shuffle (xorshift), so a failure can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const j = Math.abs(state) % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('classifyTakeoutPath', () => {
  it('finds the folder, its kind and the file kind under Takeout/Google Photos', () => {
    assert.deepEqual(classifyTakeoutPath('Takeout/Google Photos/Photos from 2023/IMG_1.jpg'), {
      path: 'Takeout/Google Photos/Photos from 2023/IMG_1.jpg',
      topFolder: 'Google Photos',
      folder: 'Photos from 2023',
      folderKind: 'year',
      year: 2023,
      name: 'IMG_1.jpg',
      fileKind: 'media',
    });
    const album = classifyTakeoutPath('Google Photos/Album test 6-10-23/PXL_20231006_063000139.jpg.json');
    assert.equal(album?.folder, 'Album test 6-10-23');
    assert.equal(album?.folderKind, 'album');
    assert.equal(album?.fileKind, 'sidecar');
    assert.equal(classifyTakeoutPath('Takeout/Google Photos/Photos from Grandma/a.jpg')?.folderKind, 'album');
  });

  it('knows the localized top folders', () => {
    for (const top of ['Google Photos', 'Google Foto', 'Google Fotos', 'Fotky Google', 'Google Фото', 'Google Снимки', "Google Foto's", 'Zdjęcia Google']) {
      const entry = classifyTakeoutPath(`Takeout/${top}/Photos from 2020/IMG_2.HEIC`);
      assert.equal(entry?.topFolder, top, top);
      assert.equal(entry?.folderKind, 'year', top);
    }
  });

  it('returns undefined outside a Google Photos top folder', () => {
    for (const path of [
      'Takeout/archive_browser.html',
      'Takeout/Drive/Google Photos/IMG_1.jpg',
      'Takeout/YouTube and YouTube Music/videos/clip.mp4',
      'Takeout/Google Photos/Album/',
      '__MACOSX/Takeout/Google Photos/Album/._IMG_1.jpg',
      'IMG_1.jpg',
    ]) {
      assert.equal(classifyTakeoutPath(path), undefined, path);
    }
  });

  it('classifies the files at the top and the album metadata in its localized names', () => {
    for (const name of ['print-subscriptions.json', 'shared_album_comments.json', 'user-generated-memory-titles.json']) {
      const entry = classifyTakeoutPath(`Takeout/Google Photos/${name}`);
      assert.equal(entry?.folder, '', name);
      assert.equal(entry?.folderKind, 'root', name);
      assert.equal(entry?.fileKind, 'other', name);
    }
    for (const name of ['metadata.json', 'métadonnées.json', 'metadati.json', 'Metadaten.json', 'метаданные.json', 'métadonnées.json'.normalize('NFD')]) {
      assert.equal(classifyTakeoutPath(`Takeout/Google Photos/Trip/${name}`)?.fileKind, 'album-metadata', name);
    }
    const kinds = ['IMG_1.jpg.supplemental-metadata.json', 'IMG_1.HEIC', 'PXL_1.MP', 'notes.txt', '._IMG_1.jpg', '.DS_Store'].map(
      (name) => classifyTakeoutPath(`Takeout/Google Photos/Trip/${name}`)?.fileKind,
    );
    assert.deepEqual(kinds, ['sidecar', 'media', 'media', 'other', 'other', 'other']);
  });

  it('knows the localized special folders, year folders and untitled albums', () => {
    const expected: Record<string, string> = {
      Trash: 'trash', Bin: 'trash', Papierkorb: 'trash', Corbeille: 'trash', Cestino: 'trash', Papelera: 'trash',
      Prullenbak: 'trash', Kosz: 'trash', Lixeira: 'trash', Корзина: 'trash',
      Archive: 'archive', Archiv: 'archive', Archivio: 'archive', Archivo: 'archive', Archief: 'archive',
      Archiwum: 'archive', Arquivo: 'archive', Архив: 'archive',
      'Locked Folder': 'locked', 'Failed Videos': 'failed-videos',
      'Fotos von 2019': 'year', 'Fotos del 2019': 'year', 'Foto da 2019': 'year', 'Foto_s van 2019': 'year',
    };
    for (const [folder, kind] of Object.entries(expected)) {
      assert.equal(classifyTakeoutPath(`Takeout/Google Photos/${folder}/x.jpg`)?.folderKind, kind, folder);
    }
    assert.equal(classifyTakeoutPath('Takeout/Google Fotos/Fotos von 2019/x.jpg')?.year, 2019);
    assert.equal(classifyTakeoutPath('Takeout/Google Photos/Sans titre(9)/x.jpg')?.untitled, true);
    assert.equal(classifyTakeoutPath('Takeout/Google Photos/Untitled/x.jpg')?.untitled, true);
    assert.equal(classifyTakeoutPath('Takeout/Google Photos/Summer/x.jpg')?.untitled, undefined);
  });

  it('normalises NFD names to NFC and keeps the path as given', () => {
    const path = 'Takeout/Google Photos/Cafe\u0301 2019/Cre\u0300me bru\u0302le\u0301e.jpg';
    const entry = classifyTakeoutPath(path);
    assert.equal(entry?.path, path);
    assert.equal(entry?.folder, 'Café 2019');
    assert.equal(entry?.name, 'Crème brûlée.jpg');
  });
});

describe('matchFolder', () => {
  it('exact: <name.ext>.json, and nothing for another name', () => {
    const result = matchFolder(['PXL_20211013_220651983.jpg', 'PXL_20211013_220651983.jpg.json', 'PXL_20211013_220651958.jpg']);
    assertSidecars(result, {
      'PXL_20211013_220651983.jpg': ['PXL_20211013_220651983.jpg.json', 'exact'],
      'PXL_20211013_220651958.jpg': [undefined],
    });
    assert.deepEqual(result.unmatchedMedia, ['PXL_20211013_220651958.jpg']);
  });

  it('supplemental: <name.ext>.supplemental-metadata.json', () => {
    const result = matchFolder(['20161105_170829.jpg', '20161105_170829.jpg.supplemental-metadata.json']);
    assertSidecars(result, { '20161105_170829.jpg': ['20161105_170829.jpg.supplemental-metadata.json', 'supplemental'] });
  });

  it('clipped: .supplemental-metadata is cut first, to 51 characters with .json (real names)', () => {
    const pairs: Record<string, string> = {
      'Screenshot_20231027_123303_Facebook.jpg': 'Screenshot_20231027_123303_Facebook.jpg.supple.json',
      'MVIMG_20191230_232926.jpg': 'MVIMG_20191230_232926.jpg.supplemental-metadat.json',
      'Screenshot_20200301-161151.png': 'Screenshot_20200301-161151.png.supplemental-me.json',
      'MVIMG_20200207_134534~2.jpg': 'MVIMG_20200207_134534~2.jpg.supplemental-metad.json',
      'Screenshot_20241227_105539_Edge.jpg': 'Screenshot_20241227_105539_Edge.jpg.supplement.json',
      'D7157814-D2D5-4A62-AFCE-9CF465CB7D66.jpeg': 'D7157814-D2D5-4A62-AFCE-9CF465CB7D66.jpeg.supp.json',
    };
    for (const json of Object.values(pairs)) assert.equal(codePoints(json), 51, json);
    const result = matchFolder(Object.entries(pairs).flat());
    for (const [media, json] of Object.entries(pairs)) assertSidecars(result, { [media]: [json, 'clipped'] });
    assert.deepEqual(result.unusedSidecars, []);
  });

  it('clipped: every length where the suffix gets cut, and names over 46 cut themselves', () => {
    const names: string[] = [];
    const expected: Record<string, readonly [string, string]> = {};
    for (let length = 25; length <= 80; length++) {
      // The length leads the name, so that no two of them share their first 46 characters.
      const media = `IMG_${length}_${'7'.repeat(length - 11)}.jpg`;
      assert.equal(codePoints(media), length);
      const json = clippedJson(media, 'new');
      assert.equal(codePoints(json), 51, json);
      names.push(media, json);
      // A name of exactly 46 clips to itself: `<name>.json`, the exact name.
      expected[media] = [json, length === 46 ? 'exact' : 'clipped'];
    }
    const result = matchFolder(names);
    assertSidecars(result, expected);
    const real = matchFolder([
      '13039_327707840323_537645323_9470255_27214_n.jpg', '13039_327707840323_537645323_9470255_27214_n.j.json',
      'Screenshot_2024-08-31-00-53-48-647_com.snapchat.jpg', 'Screenshot_2024-08-31-00-53-48-647_com.snapcha.json',
      '05yqt21kruxwwlhhgrwrdyb6chhwszi9bqmzu16w0 2.jpg', '05yqt21kruxwwlhhgrwrdyb6chhwszi9bqmzu16w0 2.jp.json',
    ]);
    assertSidecars(real, {
      '13039_327707840323_537645323_9470255_27214_n.jpg': ['13039_327707840323_537645323_9470255_27214_n.j.json', 'clipped'],
      'Screenshot_2024-08-31-00-53-48-647_com.snapchat.jpg': ['Screenshot_2024-08-31-00-53-48-647_com.snapcha.json', 'clipped'],
      '05yqt21kruxwwlhhgrwrdyb6chhwszi9bqmzu16w0 2.jpg': ['05yqt21kruxwwlhhgrwrdyb6chhwszi9bqmzu16w0 2.jp.json', 'clipped'],
    });
    assert.equal(codePoints('13039_327707840323_537645323_9470255_27214_n.j.json'), 51);
  });

  it('clipped: a media name Google cut itself (…ORIGINA.jpg ↔ …ORIGIN.json)', () => {
    const media = 'PXL_20230809_203449253.LONG_EXPOSURE-02.ORIGINA.jpg';
    const json = 'PXL_20230809_203449253.LONG_EXPOSURE-02.ORIGIN.json';
    assert.equal(codePoints(media), 51);
    assert.equal(codePoints(json), 51);
    assertSidecars(matchFolder([media, json]), { [media]: [json, 'clipped'] });
  });

  it('numbered: (n) duplicates in the old, new and GPTH Neo positions, never the wrong number', () => {
    const result = matchFolder([
      'IMG_3479.JPG', 'IMG_3479(1).JPG', 'IMG_3479(2).JPG', 'IMG_3479.JPG.json', 'IMG_3479.JPG(1).json', 'IMG_3479.JPG(2).json',
      'Scan35(1).jpg', 'Scan35.jpg.supplemental-metadata(1).json',
      'CLIP0001(10).AVI', 'CLIP0001.AVI.supplemental-metadata(10).json',
      'IMG_2367(1).HEIC', 'IMG_2367.HEIC(1).supplemental-metadata.json',
      'DSC_0102(1).JPG', 'DSC_0102.JPG(2).json',
      'DSC_0103.JPG', 'DSC_0103.JPG(1).json',
      'DSC_0104(1).JPG', 'DSC_0104.JPG.json',
    ]);
    assertSidecars(result, {
      'IMG_3479.JPG': ['IMG_3479.JPG.json', 'exact'],
      'IMG_3479(1).JPG': ['IMG_3479.JPG(1).json', 'numbered'],
      'IMG_3479(2).JPG': ['IMG_3479.JPG(2).json', 'numbered'],
      'Scan35(1).jpg': ['Scan35.jpg.supplemental-metadata(1).json', 'numbered'],
      'CLIP0001(10).AVI': ['CLIP0001.AVI.supplemental-metadata(10).json', 'numbered'],
      'IMG_2367(1).HEIC': ['IMG_2367.HEIC(1).supplemental-metadata.json', 'numbered'],
      'DSC_0102(1).JPG': [undefined],
      'DSC_0103.JPG': [undefined],
      'DSC_0104(1).JPG': [undefined],
    });
    assert.deepEqual(result.unusedSidecars, ['DSC_0102.JPG(2).json', 'DSC_0103.JPG(1).json', 'DSC_0104.JPG.json']);
  });

  it('numbered after clipping: the number is never clipped and goes after the cut', () => {
    const facebook = 'Screenshot_20231027_123303_Facebook.jpg.supple(1).json';
    const cutName = '13039_327707840323_537645323_9470255_27214_n.j(1).json';
    const backyard = 'Backyard_ceremony_wedding_photography_xxxxxxx_(494).json';
    const long = `VID_20240101_${'8'.repeat(40)}.mp4`;
    const result = matchFolder([
      'Screenshot_20231027_123303_Facebook(1).jpg', facebook,
      '13039_327707840323_537645323_9470255_27214_n(1).jpg', cutName,
      'Backyard_ceremony_wedding_photography_xxxxxxx_m(494).jpg', backyard,
      'Backyard_ceremony_wedding_photography_xxxxxxx_m(185).jpg',
      long.replace('.mp4', '(3).mp4'), clippedJson(long, 'new', 3),
    ]);
    assert.equal(codePoints(clippedJson(long, 'new', 3)), 54);
    assertSidecars(result, {
      'Screenshot_20231027_123303_Facebook(1).jpg': [facebook, 'clipped'],
      '13039_327707840323_537645323_9470255_27214_n(1).jpg': [cutName, 'clipped'],
      'Backyard_ceremony_wedding_photography_xxxxxxx_m(494).jpg': [backyard, 'clipped'],
      'Backyard_ceremony_wedding_photography_xxxxxxx_m(185).jpg': [undefined],
      [long.replace('.mp4', '(3).mp4')]: [clippedJson(long, 'new', 3), 'clipped'],
    });
  });

  it('numbered: a (n) that is part of the real name (GPTH issue 8)', () => {
    const media = 'Urlaub in Knaufspesch in der Schneifel (38).JPG';
    const json = 'Urlaub in Knaufspesch in der Schneifel (38).JP.json';
    assert.equal(codePoints(json), 51);
    assertSidecars(matchFolder([media, json, 'Urlaub in Knaufspesch in der Schneifel (39).JPG']), {
      [media]: [json, 'clipped'],
      'Urlaub in Knaufspesch in der Schneifel (39).JPG': [undefined],
    });
  });

  it('no-extension: the JSON names the file without its extension', () => {
    const result = matchFolder([
      'Peanut Butter Balls.jpg', 'Peanut Butter Balls.supplemental-metadata.json',
      '20030616.jpg', '20030616.json',
      '19991231', '19991231.json',
      'README', 'notes.txt',
    ]);
    assertSidecars(result, {
      'Peanut Butter Balls.jpg': ['Peanut Butter Balls.supplemental-metadata.json', 'no-extension'],
      '20030616.jpg': ['20030616.json', 'no-extension'],
      // A file without an extension is a media file when a JSON names it.
      19991231: ['19991231.json', 'exact'],
    });
    assert.deepEqual(result.other, ['README', 'notes.txt']);
  });

  it('other-extension: the JSON spells the extension differently', () => {
    const result = matchFolder([
      'IMG_1234.jpg', 'IMG_1234.JPG.json',
      'IMG_1235.jpg', 'IMG_1235.jpeg.json',
      'IMG_1236.JPEG', 'IMG_1236.jpg.supplemental-metadata.json',
      'scan_0001.tif', 'scan_0001.TIFF.json',
    ]);
    assertSidecars(result, {
      'IMG_1234.jpg': ['IMG_1234.JPG.json', 'other-extension'],
      'IMG_1235.jpg': ['IMG_1235.jpeg.json', 'other-extension'],
      'IMG_1236.JPEG': ['IMG_1236.jpg.supplemental-metadata.json', 'other-extension'],
      'scan_0001.tif': ['scan_0001.TIFF.json', 'other-extension'],
    });
  });

  it('unclipped: JSON names cut later than 46, or not at all, and a cut media name with a full JSON', () => {
    const title = `PXL_20260102_${'3'.repeat(30)}.NIGHT.jpg`; // 53 code points
    assert.equal(codePoints(title), 53);
    const at48 = `${(title + SUPPLEMENTAL).slice(0, 48)}.json`;
    const other = `IMG_20260102_${'4'.repeat(30)}.NIGHT.jpg`;
    const full = `${other}${SUPPLEMENTAL}.json`;
    const cutMedia = 'PXL_20230809_203449253.LONG_EXPOSURE-02.ORIGINA.jpg';
    const fullJson = 'PXL_20230809_203449253.LONG_EXPOSURE-02.ORIGINAL.jpg.supplemental-metadata.json';
    const result = matchFolder([title, at48, other, full, cutMedia, fullJson]);
    assertSidecars(result, {
      [title]: [at48, 'unclipped'],
      [other]: [full, 'supplemental'],
      [cutMedia]: [fullJson, 'unclipped'],
    });
  });

  it('unclipped: of two names a long JSON could stand for, the one it explains best gets it', () => {
    const stem = `PXL_20260103_${'2'.repeat(37)}`; // 50 code points
    const json = `${stem.slice(0, 48)}.json`; // a clip at 48 of both names below
    const best = `${stem}.jpg`; // the JSON leaves 6 characters of it unexplained
    const worse = `${stem}-1.jpg`; // sorts first, but leaves 8
    const result = matchFolder([worse, best, json]);
    assertSidecars(result, { [best]: [json, 'unclipped'], [worse]: [undefined] });
  });

  it('emoji names are clipped in code points, not UTF-16 units', () => {
    const media = `${'🌅'.repeat(30)}.jpg`;
    const json = clippedJson(media, 'new');
    assert.equal(json, `${'🌅'.repeat(30)}.jpg.supplementa.json`);
    assert.equal(codePoints(json), 51);
    assert.equal(json.length, 81); // UTF-16 units: a clip counted in them would differ
    const long = `${'🌄'.repeat(50)}.jpg`;
    const longJson = `${'🌄'.repeat(46)}.json`;
    const halfJson = `${'🌄'.repeat(23)}.json`; // the 46-UTF-16-unit clip of the same name
    assert.equal(codePoints(longJson), 51);
    const result = matchFolder([media, json, long, longJson, halfJson]);
    assertSidecars(result, { [media]: [json, 'clipped'], [long]: [longJson, 'clipped'] });
    assert.deepEqual(result.unusedSidecars, [halfJson]);
  });

  it("emoji names: immich-go's sample, cut at 46 UTF-16 units, is found as a second candidate", () => {
    const media = '😀😃😄😁😆😅😂🤣🥲☺️😊😇🙂🙃😉😌😍🥰😘😗😙😚😋😛.jpg';
    const json = '😀😃😄😁😆😅😂🤣🥲☺️😊😇🙂🙃😉😌😍🥰😘😗😙😚😋.json';
    assert.equal(json.length - '.json'.length, 46);
    assert.equal(codePoints(media), 29);
    assertSidecars(matchFolder([media, json]), { [media]: [json, 'clipped'] });
  });

  it('NFD names match NFC ones and are reported as given', () => {
    const nfdMedia = 'Crème brûlée.jpg'.normalize('NFD');
    const nfdJson = 'Café.HEIC.supplemental-metadata.json'.normalize('NFD');
    const result = matchFolder([nfdMedia, 'Crème brûlée.jpg.supplemental-metadata.json', 'Café.HEIC', nfdJson]);
    assertSidecars(result, {
      [nfdMedia]: ['Crème brûlée.jpg.supplemental-metadata.json', 'supplemental'],
      'Café.HEIC': [nfdJson, 'supplemental'],
    });
    assert.ok(result.media.has(nfdMedia));
    assert.ok(!result.media.has(nfdMedia.normalize('NFC')));
  });

  it('edited: every localized suffix shares the original JSON, with the original as `of`', () => {
    const suffixes: string[] = ['-edited', '-effects', '-smile', '-mix', '-edytowane', '-bearbeitet', '-bewerkt', '-編集済み', '-modificato', '-modifié', '-ha editado', '-editat'];
    const names = ['PXL_20220405_090123740.PORTRAIT.jpg', 'PXL_20220405_090123740.PORTRAIT.jpg.json', 'PXL_20220405_090123741.PORTRAIT-modifié.jpg'];
    for (const suffix of suffixes) names.push(`PXL_20220405_090123740.PORTRAIT${suffix}.jpg`);
    names.push('PXL_20220405_090123740.PORTRAIT-modifie\u0301(1).jpg'.normalize('NFD'), 'PXL_20220405_090123740.PORTRAIT-EDITED.jpg');
    suffixes.push('-EDITED');
    const result = matchFolder(names);
    for (const suffix of suffixes) {
      const match = matchOf(result, `PXL_20220405_090123740.PORTRAIT${suffix}.jpg`);
      assert.equal(match.role, 'edited', suffix);
      assert.equal(match.of, 'PXL_20220405_090123740.PORTRAIT.jpg', suffix);
      assert.equal(match.sidecar, 'PXL_20220405_090123740.PORTRAIT.jpg.json', suffix);
      assert.equal(match.how, 'edited', suffix);
    }
    // Another photo's edited copy (…741) and an edited duplicate whose original (…740(1).jpg) is absent.
    assert.equal(matchOf(result, 'PXL_20220405_090123741.PORTRAIT-modifié.jpg').sidecar, undefined);
    assert.equal(matchOf(result, 'PXL_20220405_090123740.PORTRAIT-modifie\u0301(1).jpg'.normalize('NFD')).sidecar, undefined);
  });

  it('edited: real pairs, the original absent, a clipped original JSON, stacked numbers', () => {
    const result = matchFolder([
      'IMAG0061.JPG', 'IMAG0061-edited.JPG', 'IMAG0061.JPG.supplemental-metadata.json',
      'IMG-20230325-WA0122~2-edited.jpg', 'IMG-20230325-WA0122~2.jpg.supplemental-metadat.json',
      '2234089303984509579-edited.jpg', '2234089303984509579.supplemental-metadata.json',
      'Screenshot_20231027_123303_Facebook.jpg', 'Screenshot_20231027_123303_Facebook-edited.jpg', 'Screenshot_20231027_123303_Facebook.jpg.supple.json',
      'Negative0-36-35(1).jpg', 'Negative0-36-35(1).jpg.supplemental-metadata.json', 'Negative0-36-35(1)-editat.jpg',
      'Negative0-36-35(1)(1).jpg', 'Negative0-36-35(1).jpg.supplemental-metadata(1).json', 'Negative0-36-35(1)-editat(1).jpg',
    ]);
    assertSidecars(result, {
      'IMAG0061-edited.JPG': ['IMAG0061.JPG.supplemental-metadata.json', 'edited'],
      'IMG-20230325-WA0122~2-edited.jpg': ['IMG-20230325-WA0122~2.jpg.supplemental-metadat.json', 'edited'],
      '2234089303984509579-edited.jpg': ['2234089303984509579.supplemental-metadata.json', 'edited'],
      'Screenshot_20231027_123303_Facebook-edited.jpg': ['Screenshot_20231027_123303_Facebook.jpg.supple.json', 'edited'],
      'Negative0-36-35(1).jpg': ['Negative0-36-35(1).jpg.supplemental-metadata.json', 'supplemental'],
      'Negative0-36-35(1)(1).jpg': ['Negative0-36-35(1).jpg.supplemental-metadata(1).json', 'numbered'],
      'Negative0-36-35(1)-editat.jpg': ['Negative0-36-35(1).jpg.supplemental-metadata.json', 'edited'],
      'Negative0-36-35(1)-editat(1).jpg': ['Negative0-36-35(1).jpg.supplemental-metadata(1).json', 'edited'],
    });
    assert.equal(matchOf(result, 'Negative0-36-35(1)-editat(1).jpg').of, 'Negative0-36-35(1)(1).jpg');
    assert.equal(matchOf(result, '2234089303984509579-edited.jpg').of, undefined);
    assert.equal(matchOf(result, '2234089303984509579-edited.jpg').role, 'edited');
  });

  it('edited: a HEIC edited into a JPG, and a suffix cut by the 51-character limit', () => {
    const stem = `PXL_20240101_${'5'.repeat(31)}`; // 44 code points
    const cut = `${stem}-ed.jpg`;
    assert.equal(codePoints(cut), 51);
    const result = matchFolder(['IMG_0001.HEIC', 'IMG_0001.HEIC.json', 'IMG_0001-edited.jpg', `${stem}.jpg`, clippedJson(`${stem}.jpg`, 'new'), cut]);
    assertSidecars(result, {
      'IMG_0001-edited.jpg': ['IMG_0001.HEIC.json', 'edited'],
      [cut]: [clippedJson(`${stem}.jpg`, 'new'), 'edited'],
    });
    assert.equal(matchOf(result, 'IMG_0001-edited.jpg').of, 'IMG_0001.HEIC');
    assert.equal(matchOf(result, cut).of, `${stem}.jpg`);
  });

  it('live-photo: the MP4/MOV clip of a HEIC/JPG still shares its JSON and never takes it away', () => {
    const result = matchFolder([
      'IMG_1234.HEIC', 'IMG_1234.MP4', 'IMG_1234.HEIC.supplemental-metadata.json',
      'IMG_2000.JPG', 'IMG_2000.MOV', 'IMG_2000.JPG.json',
      'IMG_3000.HEIC', 'IMG_3000.MOV', 'IMG_3000.json',
      'IMG_4000.MP4', 'IMG_4000.HEIC.json',
      'VID_5000.mp4', 'VID_5000.mp4.json',
    ]);
    assertSidecars(result, {
      'IMG_1234.MP4': ['IMG_1234.HEIC.supplemental-metadata.json', 'live-photo'],
      'IMG_2000.MOV': ['IMG_2000.JPG.json', 'live-photo'],
      'IMG_3000.HEIC': ['IMG_3000.json', 'no-extension'],
      'IMG_3000.MOV': ['IMG_3000.json', 'live-photo'],
      'IMG_4000.MP4': ['IMG_4000.HEIC.json', 'live-photo'],
      'VID_5000.mp4': ['VID_5000.mp4.json', 'exact'],
    });
    assert.equal(matchOf(result, 'IMG_1234.MP4').role, 'live-companion');
    assert.equal(matchOf(result, 'IMG_1234.MP4').of, 'IMG_1234.HEIC');
    assert.equal(matchOf(result, 'IMG_4000.MP4').role, 'live-companion');
    assert.equal(matchOf(result, 'IMG_4000.MP4').of, undefined);
    assert.equal(matchOf(result, 'VID_5000.mp4').role, 'original');
  });

  it('motion: Pixel .MP/.MV/.MP4 parts and MVIMG pairs have no JSON of their own', () => {
    const result = matchFolder([
      'PXL_20231118_035751175.MP.jpg', 'PXL_20231118_035751175.MP', 'PXL_20231118_035751175.MP.jpg.json',
      'PXL_20230101_000000001.MP.jpg', 'PXL_20230101_000000001.MV', 'PXL_20230101_000000001.MP.jpg.supplemental-metadata.json',
      'IMG_20171004_182408.MP.jpg', 'IMG_20171004_182408.MP4', 'IMG_20171004_182408.MP.jpg.json',
      'MVIMG_20191230_232926.jpg', 'MVIMG_20191230_232926.mp4', 'MVIMG_20191230_232926.jpg.supplemental-metadat.json',
      'PXL_20240202_111111111.MP', 'PXL_20240202_111111111.MP.jpg.supplemental-metadata.json',
    ]);
    const parts: Record<string, readonly [string, string | undefined]> = {
      'PXL_20231118_035751175.MP': ['PXL_20231118_035751175.MP.jpg.json', 'PXL_20231118_035751175.MP.jpg'],
      'PXL_20230101_000000001.MV': ['PXL_20230101_000000001.MP.jpg.supplemental-metadata.json', 'PXL_20230101_000000001.MP.jpg'],
      'IMG_20171004_182408.MP4': ['IMG_20171004_182408.MP.jpg.json', 'IMG_20171004_182408.MP.jpg'],
      'MVIMG_20191230_232926.mp4': ['MVIMG_20191230_232926.jpg.supplemental-metadat.json', 'MVIMG_20191230_232926.jpg'],
      'PXL_20240202_111111111.MP': ['PXL_20240202_111111111.MP.jpg.supplemental-metadata.json', undefined],
    };
    for (const [part, [json, still]] of Object.entries(parts)) {
      const match = matchOf(result, part);
      assert.deepEqual([match.role, match.of, match.sidecar, match.how], ['motion-companion', still, json, 'motion'], part);
    }
    assert.equal(matchOf(result, 'PXL_20231118_035751175.MP.jpg').role, 'original');
    assert.deepEqual(result.unusedSidecars, []);
  });

  it('precedence: a more exact rule wins, and one JSON never goes to two files by fuzzy rules', () => {
    const long = `Screenshot_20240101_${'6'.repeat(26)}`; // 46 code points: both names clip to it
    const result = matchFolder([
      'IMG_1.jpg', 'IMG_1.png', 'IMG_1.jpg.json', 'IMG_1.json',
      'IMG_7.png', 'IMG_7.jpg', 'IMG_7.json',
      `${long}B.jpg`, `${long}A.jpg`, `${long}.json`,
      `${long}C.MP4`, `${long}C.jpg`, clippedJson(`${long}C.jpg`, 'new', 1),
      `${long}C(1).MP4`, `${long}C(1).jpg`,
    ]);
    assertSidecars(result, {
      'IMG_1.jpg': ['IMG_1.jpg.json', 'exact'],
      'IMG_1.png': ['IMG_1.json', 'no-extension'],
      // Same rule for both: the name that sorts first wins, the other is left without.
      'IMG_7.jpg': ['IMG_7.json', 'no-extension'],
      'IMG_7.png': [undefined],
      [`${long}A.jpg`]: [`${long}.json`, 'clipped'],
      [`${long}B.jpg`]: [undefined],
      // The Live Photo clip sorts before its still, yet the still claims the JSON and the clip shares it.
      [`${long}C(1).jpg`]: [clippedJson(`${long}C.jpg`, 'new', 1), 'clipped'],
      [`${long}C(1).MP4`]: [clippedJson(`${long}C.jpg`, 'new', 1), 'live-photo'],
    });
    assert.deepEqual(result.unmatchedMedia, ['IMG_7.png', `${long}B.jpg`, `${long}C.MP4`, `${long}C.jpg`]);
  });

  it('lists unused sidecars, unmatched media, album metadata and other files', () => {
    const result = matchFolder([
      'IMG_1.jpg', 'IMG_1.jpg.json', 'IMG_2.jpg', 'IMG_9.jpg.json', 'métadonnées.json'.normalize('NFD'), 'shared_album_comments.json', '.DS_Store', '._IMG_1.jpg',
    ]);
    assert.deepEqual([...result.media.keys()], ['IMG_1.jpg', 'IMG_2.jpg']);
    assert.deepEqual(result.unmatchedMedia, ['IMG_2.jpg']);
    assert.deepEqual(result.unusedSidecars, ['IMG_9.jpg.json']);
    assert.deepEqual(result.albumMetadata, ['métadonnées.json'.normalize('NFD')]);
    assert.deepEqual(result.other, ['.DS_Store', '._IMG_1.jpg', 'shared_album_comments.json']);
  });

  it('gives the same result whatever the order of the names', () => {
    const long = `Screenshot_20240101_${'6'.repeat(26)}`;
    const names = [
      'IMG_7.png', 'IMG_7.jpg', 'IMG_7.json', `${long}B.jpg`, `${long}A.jpg`, `${long}.json`,
      'IMG_1234.HEIC', 'IMG_1234.MP4', 'IMG_1234.HEIC.json', 'IMG_1234-edited.HEIC',
      'IMG_3479.JPG', 'IMG_3479(1).JPG', 'IMG_3479.JPG.json', 'IMG_3479.JPG(1).json',
      'PXL_1.MP.jpg', 'PXL_1.MP', 'PXL_1.MP.jpg.json', 'Café.jpg'.normalize('NFD'), 'Café.jpg.json', 'Café.jpg.json'.normalize('NFD'),
      'metadata.json', 'x.txt', 'IMG_1.jpg', 'IMG_1.JPG.json', 'IMG_1.jpeg.json',
    ];
    const reference = matchFolder(names);
    const flat = (result: FolderMatch) => ({ ...result, media: [...result.media.values()] });
    for (let seed = 1; seed <= 8; seed++) {
      assert.deepEqual(flat(matchFolder(shuffled(names, seed * 7919))), flat(reference), `seed ${seed}`);
    }
    assert.deepEqual(flat(matchFolder([...names].reverse())), flat(reference));
    assert.equal(matchOf(reference, 'IMG_7.jpg').sidecar, 'IMG_7.json');
  });

  it('pairs a folder of 50,000 names', () => {
    const names: string[] = [];
    for (let i = 0; i < 5_000; i++) {
      const photo = `PXL_20230101_${String(i).padStart(9, '0')}.jpg`;
      names.push(photo, `${photo}.supplemental-metadata.json`, `IMG_${i}.HEIC`, `IMG_${i}.HEIC.json`, `IMG_${i}.MOV`);
      const long = `Screenshot_${i}_2023-01-01-00-00-00-000_com.example.app.png`;
      names.push(long, clippedJson(long, 'new'), `DSC_${i}(1).JPG`, `DSC_${i}.JPG(1).json`, `DSC_${i}(1)-edited.JPG`);
    }
    assert.equal(names.length, 50_000);
    const result = matchFolder(names);
    assert.equal(result.media.size, 30_000);
    assert.deepEqual(result.unmatchedMedia, []);
    assert.deepEqual(result.unusedSidecars, []);
    assert.equal(matchOf(result, 'IMG_4999.MOV').sidecar, 'IMG_4999.HEIC.json');
    assert.equal(matchOf(result, 'DSC_4999(1)-edited.JPG').sidecar, 'DSC_4999.JPG(1).json');
    const long = 'Screenshot_4999_2023-01-01-00-00-00-000_com.example.app.png';
    assert.deepEqual([matchOf(result, long).sidecar, matchOf(result, long).how], [clippedJson(long, 'new'), 'clipped']);
  });
});
