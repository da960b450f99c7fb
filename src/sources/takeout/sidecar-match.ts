// Pairs the files of one Google Photos folder of a Takeout export from their names alone: which
// JSON sidecar describes each media file, and how media files relate to each other (edited
// copies, Live Photo clips, Pixel motion parts). The naming rules are those of
// google-photos-api.md §8.3, as the tools of §8.5 (GPTH, GPTH Neo, immich-go, ente) apply them;
// each rule's function names its source. The caller gathers all names of one folder first (a
// folder's files can sit in several archive parts, §8.1).
//
// How sidecars are chosen:
// 1. Each media file proposes the JSON names its rules produce, every rule with a rank (the order
//    of RANK: the exact names first, fuzzier ones later). A file that belongs to another one in
//    the folder (an edited copy, a Live Photo clip, a motion part) only proposes the names that
//    name itself (OWN_NAME_RULES). The folder's proposals are taken in the order (rank, the other
//    files before those dependent ones, slack, media name, proposal order), and each JSON goes to
//    the first media file that proposes it and has none yet. So a
//    more exact rule always wins, and no JSON is claimed by two media files through these rules.
//    Two media files proposing one JSON by the same rule: the one whose NFC name sorts first (by
//    UTF-16 code units) gets it; the other is left without. "Slack" is how many characters an
//    unclipped match leaves unexplained (0 for the other rules): the closer fit wins.
// 2. Edited copies, Live Photo clips and Pixel motion parts that claimed no JSON of their own
//    share the JSON of the file they belong to. That is the only way one JSON serves several files.
// Names are compared after NFC normalisation (macOS NFD names) and reported exactly as given. The
// result does not depend on the order of the input; the cost is linear in the number of names
// (each name makes a bounded number of Map look-ups).
import { DUPLICATE_INDEX, extensionOf, isSystemFile, mediaKindOf, stemOf, takeoutFileKind, type MediaKind } from './paths.js';

/** The rules by which a media file claims a JSON of its own (§8.3), in order of precedence. */
export type ClaimRule =
  /** `<name.ext>.json` */
  | 'exact'
  /** `<name.ext>.supplemental-metadata.json` */
  | 'supplemental'
  /** Duplicate numbering: `IMG(1).JPG` ↔ `IMG.JPG(1).json`, `….supplemental-metadata(1).json`, `….JPG(1).supplemental-metadata.json` */
  | 'numbered'
  /** The 46-character clip of everything before `.json` (with the `(n)` number kept after it) */
  | 'clipped'
  /** The JSON spells the extension differently (`.JPG`, `.jpeg` for `.jpg`) or differs only in letter case */
  | 'other-extension'
  /** The JSON names the file without its extension (`20030616.json` for `20030616.jpg`) */
  | 'no-extension'
  /** Clipped at more than 46 characters, or the media name cut at 51 while its JSON is not */
  | 'unclipped'
  /** A Live Photo clip whose still is not in the folder takes the still's JSON */
  | 'live-photo';

/** How a media file got its sidecar: a rule of its own, or by sharing another file's JSON. */
export type SidecarRule = ClaimRule | 'edited' | 'motion';

export type MediaRole = 'original' | 'edited' | 'live-companion' | 'motion-companion';

export interface MediaMatch {
  /** The media file name as given. */
  readonly name: string;
  readonly role: MediaRole;
  /** edited: the original; live-companion and motion-companion: the still. Only when in the folder. */
  readonly of?: string;
  /** The JSON sidecar's file name as given; absent when none was found. */
  readonly sidecar?: string;
  /** The rule that found `sidecar`: present exactly when `sidecar` is. */
  readonly how?: SidecarRule;
}

export interface FolderMatch {
  /** Every media file of the folder, by its name as given, in sorted order. */
  readonly media: ReadonlyMap<string, MediaMatch>;
  /** Media files left without a sidecar, sorted. */
  readonly unmatchedMedia: readonly string[];
  /** Media sidecar JSON files that no media file uses, sorted. */
  readonly unusedSidecars: readonly string[];
  /** The album's metadata JSON (`metadata.json` and its localized names). */
  readonly albumMetadata: readonly string[];
  /** Everything else: other JSON files, system files, files of unknown type that have no sidecar. */
  readonly other: readonly string[];
}

/** Google clips the part of a sidecar's name before `.json` to this many characters (§8.3). */
export const SIDECAR_CLIP = 46;
/** Google cuts media file names (extension included) to this many characters (§8.3, `…ORIGINA.jpg`). */
export const MEDIA_NAME_LIMIT = 51;

const SUPPLEMENTAL = '.supplemental-metadata';
const RANK: Readonly<Record<ClaimRule, number>> = {
  exact: 0, supplemental: 1, numbered: 2, clipped: 3, 'other-extension': 4, 'no-extension': 5, unclipped: 6, 'live-photo': 7,
};
/** The rules that name the file itself: all that edited copies, companions and files of unknown type may use. */
const OWN_NAME_RULES: ReadonlySet<ClaimRule> = new Set<ClaimRule>(['exact', 'supplemental', 'numbered', 'clipped', 'other-extension']);
const ALL_RULES: ReadonlySet<ClaimRule> = new Set(Object.keys(RANK) as ClaimRule[]);
const SHARE_RULE = { edited: 'edited', 'live-companion': 'live-photo', 'motion-companion': 'motion' } as const;

/**
 * The localized suffixes of edited copies: GPTH's `extraFormats` (extras.dart, §8.3 lists the
 * confirmed ones), longest first so that `-ha editado` is tried before shorter ones.
 */
const EDITED_SUFFIXES: readonly string[] = [
  '-edited', '-effects', '-smile', '-mix', '-edytowane', '-bearbeitet', '-bewerkt', '-編集済み', '-modificato',
  '-modifié', '-ha editado', '-editado', '-editat', '-отредактировано', '-已编辑', '-편집됨', '-düzenlendi',
  '-تم التعديل', '-संपादित', '-đã chỉnh sửa', '-แก้ไขแล้ว', '-diedit',
].map((suffix) => suffix.normalize('NFC')).sort((a, b) => b.length - a.length);

/** Spellings of one extension that JSON names may use instead of the file's (§8.3 case and extension variants). */
const EXTENSION_ALIASES: readonly (readonly string[])[] = [['jpg', 'jpeg', 'jpe'], ['tif', 'tiff'], ['mpg', 'mpeg']];
/** Live Photo stills, preferred in this order, and clips (§8.3). */
const LIVE_STILL_EXTENSIONS: readonly string[] = ['heic', 'heif', 'jpg', 'jpeg'];
const LIVE_CLIP_EXTENSIONS: ReadonlySet<string> = new Set(['mp4', 'mov']);
/** Pixel motion parts (§8.3) and GPTH Neo's `.MP~2` edited alternates of them. */
const MOTION_PART = /^(?:mp|mv|mp~\d+)$/u;
const MAX_SHARE_DEPTH = 8;

interface Candidate {
  readonly json: string;
  readonly rule: ClaimRule;
  readonly slack: number;
}

interface Proposal extends Candidate {
  readonly media: string;
  readonly key: string;
  readonly dependent: boolean;
  readonly seq: number;
}

interface LongKey {
  readonly json: string;
  readonly key: string;
  readonly index?: string;
}

interface SidecarIndex {
  /** NFC name → name as given. */
  readonly exact: ReadonlyMap<string, string>;
  /** Lower-case NFC name → names as given, sorted. */
  readonly folded: ReadonlyMap<string, readonly string[]>;
  /** Keys (name before `(n)` and `.json`) over 46 code points, by their first 46 code points. */
  readonly long: ReadonlyMap<string, readonly LongKey[]>;
}

interface MediaIndex {
  /** Lower-case NFC name → name as given (the first in sorted order). */
  readonly byFolded: ReadonlyMap<string, string>;
  /** NFC stem → names as given, sorted. */
  readonly byStem: ReadonlyMap<string, readonly string[]>;
}

interface Relation {
  readonly role: MediaRole;
  readonly of?: string;
  /** NFC names whose JSON to share when the file they name is not in the folder. */
  readonly lookup?: readonly string[];
}

interface Title {
  readonly title: string;
  readonly index?: string;
}

interface SortedFolder {
  readonly media: readonly string[];
  /** Files of unknown type (no or another extension): media only if a JSON names them. */
  readonly maybeMedia: readonly string[];
  readonly sidecars: readonly string[];
  readonly albumMetadata: readonly string[];
  readonly other: readonly string[];
}

const ORIGINAL: Relation = { role: 'original' };

/** Pairs every media file of one folder with its JSON sidecar; see the header for the rules. */
export function matchFolder(names: readonly string[]): FolderMatch {
  const folder = sortFolder(names);
  const sidecars = indexSidecars(folder.sidecars);
  const relations = relateMedia(folder.media);
  const proposals: Proposal[] = [];
  for (const name of folder.media) {
    // Only a file that belongs to another one in the folder is held to the rules naming itself.
    const dependent = relations.get(name)?.of !== undefined;
    proposals.push(...proposalsOf(name, sidecars, dependent ? OWN_NAME_RULES : ALL_RULES, dependent));
  }
  for (const name of folder.maybeMedia) proposals.push(...proposalsOf(name, sidecars, OWN_NAME_RULES, false));
  const won = claimSidecars(proposals);
  const media = [...folder.media, ...folder.maybeMedia.filter((name) => won.has(name))].sort();
  const matches = resolveShared(media, relations, won, sidecars);
  const used = new Set([...matches.values()].flatMap((match) => (match.sidecar === undefined ? [] : [match.sidecar])));
  return {
    media: matches,
    unmatchedMedia: media.filter((name) => matches.get(name)?.sidecar === undefined),
    unusedSidecars: folder.sidecars.filter((json) => !used.has(json)),
    albumMetadata: folder.albumMetadata,
    other: [...folder.other, ...folder.maybeMedia.filter((name) => !won.has(name))].sort(),
  };
}

/** The folder's distinct names, sorted, by kind. */
function sortFolder(names: readonly string[]): SortedFolder {
  const folder = { media: [] as string[], maybeMedia: [] as string[], sidecars: [] as string[], albumMetadata: [] as string[], other: [] as string[] };
  for (const name of [...new Set(names)].sort()) {
    const kind = takeoutFileKind(name);
    if (kind === 'media') folder.media.push(name);
    else if (kind === 'sidecar') folder.sidecars.push(name);
    else if (kind === 'album-metadata') folder.albumMetadata.push(name);
    else if (!isSystemFile(name) && !name.toLowerCase().endsWith('.json') && name !== '') folder.maybeMedia.push(name);
    else folder.other.push(name);
  }
  return folder;
}

// ---- Lengths and clipping -------------------------------------------------------------------

/** The length in Unicode code points (an emoji is one, not two UTF-16 units). */
function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** The first `max` code points of `text`. */
function clipCodePoints(text: string, max: number): string {
  if (text.length <= max) return text;
  let count = 0;
  let end = 0;
  for (const char of text) {
    if (count === max) break;
    end += char.length;
    count++;
  }
  return text.slice(0, end);
}

/** The first `max` UTF-16 units of `text`, never splitting a surrogate pair. */
function clipUtf16(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

// ---- Names ----------------------------------------------------------------------------------

/**
 * The titles Google may have named a file's JSON after: the name without its duplicate number
 * (`IMG(1).JPG` is the second `IMG.JPG`) and, because `(n)` can be part of the real name
 * (`Schneifel (38).JPG`, §8.3 GPTH issue 8), the whole name without a number.
 */
function titlesOf(name: string): readonly Title[] {
  const ext = extensionOf(name);
  const found = DUPLICATE_INDEX.exec(stemOf(name));
  if (!found) return [{ title: name }];
  const [, before = '', index = ''] = found;
  return [{ title: ext === '' ? before : `${before}.${ext}`, index }, { title: name }];
}

/** `(n)` for a duplicate number, '' for none. */
function numbered(index: string | undefined): string {
  return index === undefined ? '' : `(${index})`;
}

/**
 * The 46-character clips of `<title>.supplemental-metadata` and `<title>`, with the number after
 * the clip (ente PR 4956, immich-go `matchNormal`). Clipped in code points (immich-go counts
 * runes) and, as a second candidate, in UTF-16 units: immich-go's own emoji sample
 * (`…😋😛.jpg` ↔ `…😋.json`) is cut at 46 UTF-16 units, as GPTH's `_shortenName` counts.
 */
function clippedNames(title: string, index: string | undefined): string[] {
  const names = new Set<string>();
  for (const full of [title + SUPPLEMENTAL, title]) {
    for (const clip of [clipCodePoints(full, SIDECAR_CLIP), clipUtf16(full, SIDECAR_CLIP)]) {
      if (clip !== full && clip !== '') names.add(`${clip}${numbered(index)}.json`);
    }
  }
  return [...names];
}

/** The JSON names that name `name` itself: exact, supplemental, numbered and clipped, in that order. */
function ownNames(name: string): { json: string; rule: ClaimRule }[] {
  const names: { json: string; rule: ClaimRule }[] = [
    { json: `${name}.json`, rule: 'exact' },
    { json: `${name}${SUPPLEMENTAL}.json`, rule: 'supplemental' },
  ];
  const titles = titlesOf(name);
  const [first] = titles;
  if (first?.index !== undefined) {
    // Old form, new form with the number after the suffix, and GPTH Neo's number before it.
    const n = numbered(first.index);
    for (const json of [`${first.title}${n}.json`, `${first.title}${SUPPLEMENTAL}${n}.json`, `${first.title}${n}${SUPPLEMENTAL}.json`]) {
      names.push({ json, rule: 'numbered' });
    }
  }
  for (const { title, index } of titles) {
    for (const json of clippedNames(title, index)) names.push({ json, rule: 'clipped' });
  }
  return names;
}

/** The name with each other spelling of its extension (§8.3: `.jpg`, `.jpeg`), itself first. */
function extensionVariants(name: string): string[] {
  const ext = extensionOf(name).toLowerCase();
  const aliases = EXTENSION_ALIASES.find((group) => group.includes(ext)) ?? [];
  const stem = stemOf(name);
  return [name, ...aliases.filter((alias) => alias !== ext).map((alias) => `${stem}.${alias}`)];
}

// ---- Sidecar index and candidates -----------------------------------------------------------

function pushTo<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The key of a long JSON name (before `(n)` and `.json`), when over 46 code points. */
function longKeyOf(json: string, nfc: string): LongKey | undefined {
  const body = nfc.slice(0, -'.json'.length);
  const found = DUPLICATE_INDEX.exec(body);
  const key = found?.[1] ?? body;
  if (codePointLength(key) <= SIDECAR_CLIP) return undefined;
  return found?.[2] === undefined ? { json, key } : { json, key, index: found[2] };
}

function indexSidecars(sidecars: readonly string[]): SidecarIndex {
  const exact = new Map<string, string>();
  const folded = new Map<string, string[]>();
  const long = new Map<string, LongKey[]>();
  for (const json of sidecars) {
    const nfc = json.normalize('NFC');
    if (!exact.has(nfc)) exact.set(nfc, json);
    pushTo(folded, nfc.toLowerCase(), json);
    const longKey = longKeyOf(json, nfc);
    if (longKey) pushTo(long, clipCodePoints(longKey.key, SIDECAR_CLIP), longKey);
  }
  return { exact, folded, long };
}

/** The existing JSON files of `names` (by their exact NFC names), as `rule`. */
function exactHits(names: readonly { json: string; rule: ClaimRule }[], sidecars: SidecarIndex, rule?: ClaimRule): Candidate[] {
  return names.flatMap(({ json, rule: own }) => {
    const hit = sidecars.exact.get(json);
    return hit === undefined ? [] : [{ json: hit, rule: rule ?? own, slack: 0 }];
  });
}

/** The existing JSON files of the names that `names` make, ignoring letter case, as `rule`. */
function foldedHits(names: readonly string[], sidecars: SidecarIndex, rule: ClaimRule): Candidate[] {
  return names.flatMap((name) =>
    ownNames(name).flatMap(({ json }) => (sidecars.folded.get(json.toLowerCase()) ?? []).map((hit) => ({ json: hit, rule, slack: 0 }))),
  );
}

/**
 * Longer clips (§8.3: 2026 exports with 53-character or unclipped names): a JSON key over 46
 * code points that starts the expected unclipped name; and a media name cut at 51 characters
 * (`…ORIGINA.jpg`) whose JSON key goes on past the cut.
 */
function unclippedHits(nfc: string, sidecars: SidecarIndex): Candidate[] {
  const hits: Candidate[] = [];
  const cut = codePointLength(nfc) === MEDIA_NAME_LIMIT || nfc.length === MEDIA_NAME_LIMIT;
  for (const { title, index } of titlesOf(nfc)) {
    for (const full of [title + SUPPLEMENTAL, title]) {
      if (full.length <= SIDECAR_CLIP) continue;
      for (const entry of sidecars.long.get(clipCodePoints(full, SIDECAR_CLIP)) ?? []) {
        if (entry.index === index && entry.key !== full && full.startsWith(entry.key)) {
          hits.push({ json: entry.json, rule: 'unclipped', slack: full.length - entry.key.length });
        }
      }
    }
    const stem = stemOf(title);
    if (!cut || codePointLength(stem) < SIDECAR_CLIP) continue;
    for (const entry of sidecars.long.get(clipCodePoints(stem, SIDECAR_CLIP)) ?? []) {
      if (entry.index === index && entry.key !== stem && entry.key.startsWith(stem)) {
        hits.push({ json: entry.json, rule: 'unclipped', slack: entry.key.length - stem.length });
      }
    }
  }
  return hits;
}

/** Every JSON that `nfc` could claim, best first, by the rules in `rules`. */
function candidatesOf(nfc: string, sidecars: SidecarIndex, rules: ReadonlySet<ClaimRule>): Candidate[] {
  const ext = extensionOf(nfc);
  const candidates = [
    ...exactHits(ownNames(nfc), sidecars),
    ...foldedHits(extensionVariants(nfc), sidecars, 'other-extension'),
    ...(ext === '' ? [] : exactHits(ownNames(stemOf(nfc)), sidecars, 'no-extension')),
    ...(rules.has('unclipped') ? unclippedHits(nfc, sidecars) : []),
    ...(rules.has('live-photo') && LIVE_CLIP_EXTENSIONS.has(ext.toLowerCase())
      ? foldedHits(LIVE_STILL_EXTENSIONS.map((still) => `${stemOf(nfc)}.${still}`), sidecars, 'live-photo')
      : []),
  ];
  return candidates.filter((candidate) => rules.has(candidate.rule));
}

function proposalsOf(media: string, sidecars: SidecarIndex, rules: ReadonlySet<ClaimRule>, dependent: boolean): Proposal[] {
  const key = media.normalize('NFC');
  return candidatesOf(key, sidecars, rules).map((candidate, seq) => ({ ...candidate, media, key, dependent, seq }));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareProposals(a: Proposal, b: Proposal): number {
  return (
    RANK[a.rule] - RANK[b.rule] ||
    Number(a.dependent) - Number(b.dependent) ||
    a.slack - b.slack ||
    compareText(a.key, b.key) ||
    compareText(a.media, b.media) ||
    a.seq - b.seq
  );
}

/** Gives each JSON to the first media file that proposes it, in precedence order (see the header). */
function claimSidecars(proposals: Proposal[]): Map<string, Candidate> {
  const won = new Map<string, Candidate>();
  const claimed = new Set<string>();
  for (const proposal of proposals.sort(compareProposals)) {
    if (won.has(proposal.media) || claimed.has(proposal.json)) continue;
    won.set(proposal.media, { json: proposal.json, rule: proposal.rule, slack: proposal.slack });
    claimed.add(proposal.json);
  }
  return won;
}

// ---- Relations between media files --------------------------------------------------------

function indexMedia(media: readonly string[]): MediaIndex {
  const byFolded = new Map<string, string>();
  const byStem = new Map<string, string[]>();
  for (const name of media) {
    const nfc = name.normalize('NFC');
    if (!byFolded.has(nfc.toLowerCase())) byFolded.set(nfc.toLowerCase(), name);
    pushTo(byStem, stemOf(nfc), name);
  }
  return { byFolded, byStem };
}

/** The first of `names` in the folder (ignoring letter case), as given. */
function firstPresent(names: readonly string[], index: MediaIndex): string | undefined {
  for (const name of names) {
    const hit = index.byFolded.get(name.toLowerCase());
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/** The role and relation of every media file (names as given). */
function relateMedia(media: readonly string[]): Map<string, Relation> {
  const index = indexMedia(media);
  const relations = new Map<string, Relation>();
  for (const name of media) {
    const nfc = name.normalize('NFC');
    const relation = motionRelation(nfc, index) ?? liveRelation(nfc, index) ?? editedRelation(nfc, name, index);
    if (relation) relations.set(name, relation);
  }
  return relations;
}

/**
 * Pixel motion parts (§8.3, GPTH Neo `_handleMPFiles`): `X.MP` / `X.MV` (and `X.MP~2`) beside
 * `X.MP.jpg`; a 2017-era `X.MP4` beside `X.MP.jpg`; an `MVIMG_X` video beside `MVIMG_X.jpg`. A
 * `.MP`/`.MV` part is a motion part even without its still; it then shares the still's JSON.
 */
function motionRelation(nfc: string, index: MediaIndex): Relation | undefined {
  const ext = extensionOf(nfc).toLowerCase();
  const stem = stemOf(nfc);
  const part = MOTION_PART.test(ext);
  if (!part && mediaKindOf(nfc) !== 'video') return undefined;
  const stills = part ? [`${nfc}.jpg`, `${nfc}.jpeg`, `${stem}.MP.jpg`, `${stem}.MP.jpeg`] : [`${stem}.MP.jpg`, `${stem}.MP.jpeg`];
  if (!part && /^mvimg_/iu.test(stem)) stills.push(`${stem}.jpg`, `${stem}.jpeg`);
  const of = firstPresent(stills, index);
  if (of !== undefined) return { role: 'motion-companion', of };
  return part ? { role: 'motion-companion', lookup: stills } : undefined;
}

/** iPhone Live Photos (§8.3): an MP4/MOV clip with the stem of a HEIC/JPG still. */
function liveRelation(nfc: string, index: MediaIndex): Relation | undefined {
  if (!LIVE_CLIP_EXTENSIONS.has(extensionOf(nfc).toLowerCase())) return undefined;
  const preference = (name: string): number => {
    const order = LIVE_STILL_EXTENSIONS.indexOf(extensionOf(name).toLowerCase());
    return order < 0 ? Infinity : order;
  };
  const stills = (index.byStem.get(stemOf(nfc)) ?? []).filter((name) => preference(name) !== Infinity);
  const [of] = stills.sort((a, b) => preference(a) - preference(b) || compareText(a, b));
  return of === undefined ? undefined : { role: 'live-companion', of };
}

/**
 * The original's name of an edited copy (§8.3, GPTH `_removeExtra`): `X-edited.jpg` → `X.jpg`,
 * `X-edited(1).jpg` → `X(1).jpg` (immich-go: the number goes after the suffix), compared without
 * letter case.
 */
function editedOriginalName(nfc: string): string | undefined {
  const ext = extensionOf(nfc);
  const found = DUPLICATE_INDEX.exec(stemOf(nfc));
  const stem = found?.[1] ?? stemOf(nfc);
  const suffix = EDITED_SUFFIXES.find((s) => stem.length > s.length && stem.slice(-s.length).toLowerCase() === s);
  if (suffix === undefined) return undefined;
  return `${stem.slice(0, -suffix.length)}${numbered(found?.[2])}${ext === '' ? '' : `.${ext}`}`;
}

/**
 * An edited copy whose name Google cut at 51 characters through the suffix (`…-edi.jpg`, as
 * GPTH Neo's "partial extra formats"): only a candidate, kept if the original is in the folder.
 */
function cutEditedOriginalName(nfc: string): string | undefined {
  if (codePointLength(nfc) !== MEDIA_NAME_LIMIT && nfc.length !== MEDIA_NAME_LIMIT) return undefined;
  const ext = extensionOf(nfc);
  const stem = stemOf(nfc);
  const dash = stem.lastIndexOf('-');
  const cut = stem.slice(dash).toLowerCase();
  if (dash <= 0 || cut.length < 2 || !EDITED_SUFFIXES.some((s) => s.length > cut.length && s.startsWith(cut))) return undefined;
  return `${stem.slice(0, dash)}${ext === '' ? '' : `.${ext}`}`;
}

/** The original of an edited copy in the folder: the same name (any extension spelling), else the same stem and kind. */
function findOriginal(original: string, kind: MediaKind | undefined, self: string, index: MediaIndex): string | undefined {
  const named = firstPresent(extensionVariants(original), index);
  if (named !== undefined && named !== self) return named;
  const sameStem = (index.byStem.get(stemOf(original)) ?? []).filter((name) => name !== self && mediaKindOf(name) === kind);
  return sameStem[0];
}

function editedRelation(nfc: string, self: string, index: MediaIndex): Relation | undefined {
  const kind = mediaKindOf(nfc);
  const original = editedOriginalName(nfc);
  if (original !== undefined) {
    const of = findOriginal(original, kind, self, index);
    return of === undefined ? { role: 'edited', lookup: [original] } : { role: 'edited', of };
  }
  const cut = cutEditedOriginalName(nfc);
  const of = cut === undefined ? undefined : findOriginal(cut, kind, self, index);
  return of === undefined ? undefined : { role: 'edited', of };
}

// ---- Sharing --------------------------------------------------------------------------------

/** The JSON for a file that is not in the folder (an edited copy's original, a motion part's still). */
function sharedLookup(names: readonly string[], sidecars: SidecarIndex): string | undefined {
  for (const name of names) {
    const nfc = name.normalize('NFC');
    const [hit] = [
      ...exactHits(ownNames(nfc), sidecars),
      ...foldedHits(extensionVariants(nfc), sidecars, 'other-extension'),
      ...(extensionOf(nfc) === '' ? [] : exactHits(ownNames(stemOf(nfc)), sidecars)),
    ];
    if (hit) return hit.json;
  }
  return undefined;
}

/** A media file's match before sharing: its own JSON, if it claimed one. */
function ownMatch(name: string, relation: Relation, own: Candidate | undefined): MediaMatch {
  const base: MediaMatch = { name, role: relation.role, ...(relation.of === undefined ? {} : { of: relation.of }) };
  if (!own) return base;
  // A clip that took its still's JSON although the still is elsewhere is a Live Photo clip too.
  const role: MediaRole = own.rule === 'live-photo' ? 'live-companion' : relation.role;
  return { ...base, role, sidecar: own.json, how: own.rule };
}

/** Each media file's final match: its own JSON, else the JSON of the file it belongs to. */
function resolveShared(
  media: readonly string[],
  relations: ReadonlyMap<string, Relation>,
  won: ReadonlyMap<string, Candidate>,
  sidecars: SidecarIndex,
): Map<string, MediaMatch> {
  const done = new Map<string, MediaMatch>();
  const resolve = (name: string, depth: number): MediaMatch => {
    const known = done.get(name);
    if (known) return known;
    const relation = relations.get(name) ?? ORIGINAL;
    let match = ownMatch(name, relation, won.get(name));
    if (match.sidecar === undefined && relation.role !== 'original') {
      const sidecar =
        relation.of === undefined ? sharedLookup(relation.lookup ?? [], sidecars)
        : depth < MAX_SHARE_DEPTH ? resolve(relation.of, depth + 1).sidecar
        : undefined;
      if (sidecar !== undefined) match = { ...match, sidecar, how: SHARE_RULE[relation.role] };
    }
    done.set(name, match);
    return match;
  };
  return new Map(media.map((name) => [name, resolve(name, 0)]));
}
