// Stores the planned items of one Takeout part: streams the part's entries in archive order
// (sources/takeout/archive.ts), and for each planned item the destination does not hold yet puts
// the bytes unchanged into the sink (dated and laid out by the JSON's photoTakenTime, mtime set),
// writes the JSON sidecar as Takeout gave it and an XMP sidecar beside it, and records it in the
// manifest (source `takeout`). A new item is made durable (fsync, link, sidecars) while the next
// entry is read (in-flight.ts). Every 50 items the names and records are made durable and the
// heartbeat says which entry comes next, so a killed worker's retry resumes inside the archive.
// A damaged entry fails its item only; a truncated or unreadable part, or the destination
// refusing writes, stops the part.
import type { Context } from '@temporalio/activity';
import type { Manifest, ManifestEntry } from '../manifest/manifest.js';
import { candidateKeys } from '../sinks/layout.js';
import type { Sink, StoredObject } from '../sinks/sink.js';
import { TakeoutArchiveError, openArchive, type ArchiveEntry } from '../sources/takeout/archive.js';
import type { CatalogPart, TakeoutCatalog } from '../sources/takeout/catalog.js';
import type { TakeoutItem } from '../sources/takeout/plan.js';
import { xmpSidecar } from '../sources/takeout/xmp.js';
import { peekCaptureTime } from '../sources/takeout/capture-date.js';
import { mediaKindOf } from '../sources/takeout/paths.js';
import type { Readable } from 'node:stream';
import { alreadyStored } from './download-batch.js';
import type { ItemFailure } from './batch-progress.js';
import { endOf, InFlight } from './in-flight.js';

/** Items between two flushes (and heartbeats that move the resume point). */
const FLUSH_EVERY = 50;
/** New items whose bytes are read and which are still being made durable, while the next entry is read. */
const STORES_IN_FLIGHT = 3;
/** Failures kept in the result (the destination's failures.jsonl has all). */
const FAILURES_KEPT = 20;

export interface ImportPartResult {
  readonly stored: number;
  readonly storedBytes: number;
  readonly skipped: number;
  readonly failed: number;
  readonly recentFailures: readonly ItemFailure[];
}

/** What a heartbeat carries: where a retried attempt starts, and the counts up to there. */
export interface ImportHeartbeat extends ImportPartResult {
  /** The first entry index not yet known to be stored durably. */
  readonly next: number;
}

export interface PartImportDeps {
  readonly ctx: Context;
  readonly catalog: TakeoutCatalog;
  readonly part: CatalogPart;
  readonly sink: Sink;
  readonly manifest: Manifest;
}

/** The capture time as the manifest and the layout take it (RFC 3339, UTC). */
function creationTimeOf(item: TakeoutItem): string | undefined {
  const seconds = item.metadata?.takenAt;
  return seconds === undefined ? undefined : new Date(seconds * 1000).toISOString();
}

/**
 * The name the manifest records: the uploaded name (JSON title) for an original, which is how
 * the API names the same photo; an edited copy or companion shares its original's JSON, so it
 * keeps its own file name.
 */
function recordedName(item: TakeoutItem): string {
  return item.role === 'original' && item.metadata?.title ? item.metadata.title : item.name;
}

/** An API copy of a Takeout item, and what recognised it. */
interface Rendition {
  readonly entry: ManifestEntry;
  readonly by: 'url' | 'name-and-time';
}

type Route = { readonly kind: 'stored'; readonly entry: ManifestEntry | undefined } | { readonly kind: 'supersede'; readonly rendition: Rendition } | { readonly kind: 'new' };

/**
 * Stored from a Takeout before its JSON was known (in a part not seen then), while the plan now
 * has the JSON: stored without a capture time, or dated by the file's own EXIF time where the
 * JSON gives another one.
 */
export function isIncomplete(entry: ManifestEntry, item: TakeoutItem): boolean {
  if (entry.source !== 'takeout' || entry.sameAs !== undefined || entry.supersedes !== undefined || item.sidecar === undefined) return false;
  const fromJson = creationTimeOf(item);
  return entry.creationTime === undefined || (fromJson !== undefined && Date.parse(entry.creationTime) !== Date.parse(fromJson));
}

const PAGE = 500;

/** Whether a part holds a planned item the destination lacks, or one stored before its JSON was known. */
export async function hasWork(catalog: TakeoutCatalog, part: number, manifest: Manifest, sink: Sink): Promise<boolean> {
  for (let from = 0; ; ) {
    const rows = catalog.itemsOfPart(part, from, PAGE);
    for (const { id } of rows) {
      const entry = manifest.get(id);
      if (!entry || !(await alreadyStored(manifest, sink, id))) return true;
      const json = catalog.item(id);
      if (json !== undefined && isIncomplete(entry, JSON.parse(json) as TakeoutItem)) return true;
    }
    const last = rows.at(-1);
    if (!last || rows.length < PAGE) return false;
    from = last.index + 1;
  }
}

export class PartImport {
  private counts: { stored: number; storedBytes: number; skipped: number; failed: number };
  private readonly failures: ItemFailure[];
  private next: number;
  private sinceFlush = 0;
  /** The entry whose damage failed its item last (the reader then stops; it is resumed after it). */
  private damaged: number | undefined;
  private readonly inFlight = new InFlight(STORES_IN_FLIGHT);

  constructor(
    private readonly deps: PartImportDeps,
    resume?: ImportHeartbeat,
  ) {
    this.counts = { stored: resume?.stored ?? 0, storedBytes: resume?.storedBytes ?? 0, skipped: resume?.skipped ?? 0, failed: resume?.failed ?? 0 };
    this.failures = [...(resume?.recentFailures ?? [])];
    this.next = resume?.next ?? 0;
  }

  async run(): Promise<ImportPartResult> {
    const { ctx, catalog, part } = this.deps;
    // Nothing to store or complete (a re-import): the archive is not read at all.
    if (this.next === 0 && !(await hasWork(catalog, part.id, this.deps.manifest, this.deps.sink))) {
      this.counts.skipped = catalog.itemCountOfPart(part.id);
      return this.result();
    }
    const archive = await openArchive(part.path);
    try {
      const wanted = (entry: ArchiveEntry) => catalog.itemAt(part.id, entry.index) !== undefined;
      for (let from = this.next; ; ) {
        try {
          await archive.read({ wanted, from, signal: ctx.cancellationSignal }, (entry, body) => this.entry(entry, body));
          break;
        } catch (error) {
          // A damaged zip entry failed its item; the reader stops there, and goes on after it. A
          // damaged tgz cannot be read past the damage: the part stops.
          const damaged = this.damaged;
          this.damaged = undefined;
          if (damaged === undefined || archive.format === 'tgz' || !(error instanceof TakeoutArchiveError) || error.problem !== 'corrupt') throw error;
          from = damaged + 1;
        }
      }
    } finally {
      // Stores still finishing when the part stops are let finish (nothing left half-written).
      await this.inFlight.settle();
      await archive.close();
    }
    await this.flush(Number.MAX_SAFE_INTEGER);
    return this.result();
  }

  private result(): ImportPartResult {
    return { ...this.counts, recentFailures: this.failures };
  }

  private async entry(entry: ArchiveEntry, body: Readable): Promise<void> {
    const id = this.deps.catalog.itemAt(this.deps.part.id, entry.index);
    const json = id === undefined ? undefined : this.deps.catalog.item(id);
    if (json === undefined) return;
    const item = JSON.parse(json) as TakeoutItem;
    const creationTime = creationTimeOf(item);
    const route = await this.routeOf(item, creationTime);
    // A new dated item finishes in the background while the next entry is read; anything that
    // replaces or moves what is stored waits for the stores before it, and runs alone.
    const key = route.kind === 'new' && creationTime !== undefined ? this.keysOf(item, creationTime)[0] : undefined;
    if (key === undefined || this.inFlight.holds(key)) await this.inFlight.drain();
    const consumed = endOf(body);
    const storing = this.guarded(entry.index, item, () => this.store(item, body, creationTime, route));
    if (key === undefined) await storing;
    else await this.inFlight.add(key, storing, consumed);
    if (++this.sinceFlush >= FLUSH_EVERY) await this.flush(entry.index + 1);
  }

  /** Runs the store of an item; a damaged entry fails the item only (and the reader resumes after it). */
  private async guarded(index: number, item: TakeoutItem, store: () => Promise<void>): Promise<void> {
    try {
      await store();
    } catch (error) {
      if (!(error instanceof TakeoutArchiveError) || error.problem !== 'corrupt') throw error;
      await this.fail(item, error.message);
      this.damaged = index;
    }
  }

  /** What an item needs: nothing or a completion (stored already), to replace an API rendition, or a new store. */
  private async routeOf(item: TakeoutItem, creationTime: string | undefined): Promise<Route> {
    if (await alreadyStored(this.deps.manifest, this.deps.sink, item.id)) return { kind: 'stored', entry: this.deps.manifest.get(item.id) };
    const rendition = this.renditionOf(item, creationTime);
    return rendition ? { kind: 'supersede', rendition } : { kind: 'new' };
  }

  /** One item: skipped when stored already (or completed, see below), else bytes, sidecars, manifest record. */
  private async store(item: TakeoutItem, body: Readable, creationTime: string | undefined, route: Route): Promise<void> {
    if (route.kind === 'stored') {
      const { entry } = route;
      if (entry && isIncomplete(entry, item)) return this.complete(entry, item, body, creationTime);
      return this.foundStored(entry);
    }
    if (route.kind === 'supersede') return this.supersede(route.rendition, item, body, creationTime as string);
    // No time from Google: the one the camera wrote (EXIF, QuickTime), read from the first bytes.
    const dated = creationTime === undefined ? await peekCaptureTime(body, mediaKindOf(item.name)) : { body };
    const time = creationTime ?? (dated.time === undefined ? undefined : new Date(dated.time).toISOString());
    const lookalikes = this.lookalikes(item, time);
    const stored = await this.put(item, dated.body, time);
    const same = lookalikes.find((entry) => entry.sha256 === stored.sha256 && entry.size === stored.size);
    if (same) return this.sameAs(item, stored, same);
    await this.writeSidecars(stored.key, item);
    await this.record(item, stored, time);
  }

  /**
   * Copies stored by earlier imports under another id that may be this very file: same name,
   * capture time and size (the same photo from an extracted folder and from an archive, or in
   * another folder of an extracted export; see takeoutItemId). Its sha256 decides, once stored.
   */
  private lookalikes(item: TakeoutItem, creationTime: string | undefined): ManifestEntry[] {
    const { manifest } = this.deps;
    const name = recordedName(item);
    const found = creationTime === undefined ? manifest.anonymousOfSize(item.size).filter((entry) => entry.filename === name) : manifest.sameNameAndTime(name, creationTime);
    return found.filter((entry) => entry.source === 'takeout' && entry.size === item.size && entry.id !== item.id);
  }

  /** The bytes just stored are those of a copy stored already: this copy goes, and the item is recorded as that one. */
  private async sameAs(item: TakeoutItem, stored: StoredObject, same: ManifestEntry): Promise<void> {
    await this.deps.sink.remove(stored.key);
    await this.deps.manifest.record({ ...this.entryOf(item, stored, same.creationTime), key: same.key, sameAs: same.id });
    this.counts.skipped++;
    this.deps.ctx.log.info('a Takeout file is a copy of one stored already', { item: item.name, key: same.key, id: same.id });
  }

  /**
   * The copy of this photo stored from the API (Library or Picker), and how it was recognised:
   * the id in the JSON's `url` (if Google's API ids are the photo page's ids, which it does not
   * say), else the one photo with the same uploaded name (the JSON's title) and capture time. Its
   * bytes are a rendition (`=d` drops GPS).
   */
  private renditionOf(item: TakeoutItem, creationTime: string | undefined): Rendition | undefined {
    if (item.role !== 'original') return undefined;
    const urlId = item.metadata?.url?.split(/[/?#]/).filter((part) => part !== '').at(-1);
    const byUrl = urlId === undefined ? undefined : this.deps.manifest.get(urlId);
    if (byUrl && byUrl.source !== 'takeout' && byUrl.sameAs === undefined) return { entry: byUrl, by: 'url' };
    const title = item.metadata?.title;
    if (title === undefined || creationTime === undefined) return undefined;
    const found = this.deps.manifest.sameNameAndTime(title, creationTime).filter((entry) => entry.source !== 'takeout');
    return found.length === 1 && found[0] ? { entry: found[0], by: 'name-and-time' } : undefined;
  }

  /**
   * The Takeout original replaces the API rendition in place (same key, same item id in the
   * sink's metadata), and the API item's record says so (`supersedes`: what was there); the
   * Takeout item is recorded as that same item (`sameAs`), so neither route stores it again.
   */
  private async supersede({ entry: rendition, by }: Rendition, item: TakeoutItem, body: Readable, creationTime: string): Promise<void> {
    const stored = await this.put(item, body, creationTime, rendition);
    await this.writeSidecars(stored.key, item, rendition.id);
    const { source, size, sha256, storedAt } = rendition;
    await this.deps.manifest.record({ ...this.entryOf(item, stored, creationTime), id: rendition.id, supersedes: { source, size, sha256, storedAt, by } });
    await this.deps.manifest.record({ ...this.entryOf(item, stored, creationTime), sameAs: rendition.id });
    this.counts.stored++;
    this.counts.storedBytes += stored.size;
    this.deps.ctx.log.info('a Takeout original replaced the API copy of the same photo', { item: item.name, key: stored.key, apiId: rendition.id, recognisedBy: by });
  }

  /**
   * An item stored by an import that had its media but not its JSON (in a part not seen then):
   * with a capture time now, it is stored again at its dated key (the same one when its EXIF time
   * put it in the right folder already), recorded there, and the undated copy removed (after the
   * record: a crash in between leaves a spare copy, never none); without one, it gets its
   * sidecars where it is.
   */
  private async complete(entry: ManifestEntry, item: TakeoutItem, body: Readable, creationTime: string | undefined): Promise<void> {
    const { sink } = this.deps;
    if (creationTime === undefined) {
      if (await sink.stat(`${entry.key}.json`)) return this.foundStored(entry);
      await this.writeSidecars(entry.key, item);
      this.counts.stored++;
      return;
    }
    const stored = await this.put(item, body, creationTime);
    // Dated in the same folder already (by its EXIF time): its XMP, made without the JSON, is made again.
    if (stored.key === entry.key) await sink.remove(`${entry.key}.xmp`);
    await this.writeSidecars(stored.key, item);
    await this.record(item, stored, creationTime);
    if (stored.key !== entry.key) for (const key of [entry.key, `${entry.key}.xmp`, `${entry.key}.json`]) await sink.remove(key);
  }

  /** Stores the bytes; over `rendition`, at its key and under its id (the sink replaces that item's own object). */
  private put(item: TakeoutItem, body: Readable, creationTime: string | undefined, rendition?: ManifestEntry): Promise<StoredObject> {
    const { ctx, manifest } = this.deps;
    const keys = this.keysOf(item, creationTime);
    const id = rendition?.id ?? item.id;
    return this.deps.sink.put({
      candidates: rendition ? [rendition.key, ...keys] : keys,
      body,
      expectedSize: item.size,
      mimeType: item.mimeType,
      // Undated items keep the time they were stored, as API items do.
      mtime: creationTime ? new Date(creationTime) : new Date(),
      mediaId: id,
      originalFilename: item.name,
      ownerOf: (key) => manifest.ownerOf(key, id),
      signal: ctx.cancellationSignal,
      // Over a rendition, what lies at the key is the rendition: written again, whatever it says.
      repair: rendition !== undefined || manifest.needsRepair(item.id),
      onProgress: () => ctx.heartbeat(this.heartbeat()),
    });
  }

  private keysOf(item: TakeoutItem, creationTime: string | undefined): string[] {
    return candidateKeys({ id: item.id, filename: item.name, mimeType: item.mimeType, ...(creationTime ? { creationTime } : {}) });
  }

  /** The JSON as Takeout gave it (when the item has one) and the XMP made from it; `owner`: the item they describe. */
  private async writeSidecars(key: string, item: TakeoutItem, owner = item.id): Promise<void> {
    const sidecar = item.sidecar && this.deps.catalog.entry(item.sidecar.part, item.sidecar.index)?.text;
    if (sidecar !== undefined) await this.deps.sink.writeText(`${key}.json`, sidecar, owner);
    await this.deps.sink.writeText(`${key}.xmp`, xmpSidecar(item.metadata), owner);
  }

  private entryOf(item: TakeoutItem, stored: StoredObject, creationTime: string | undefined): ManifestEntry {
    return {
      id: item.id,
      key: stored.key,
      size: stored.size,
      sha256: stored.sha256,
      ...(creationTime ? { creationTime } : {}),
      filename: recordedName(item),
      source: 'takeout',
      storedAt: new Date().toISOString(),
    };
  }

  private async record(item: TakeoutItem, stored: StoredObject, creationTime: string | undefined): Promise<void> {
    await this.deps.manifest.record(this.entryOf(item, stored, creationTime));
    this.counts.stored++;
    this.counts.storedBytes += stored.size;
  }

  /** Stored by an earlier attempt of this very activity (killed before its heartbeat said so) counts as stored. */
  private foundStored(entry: ManifestEntry | undefined): void {
    if (entry && Date.parse(entry.storedAt) >= this.deps.ctx.info.scheduledTimestampMs) {
      this.counts.stored++;
      this.counts.storedBytes += entry.size;
    } else this.counts.skipped++;
  }

  private async fail(item: TakeoutItem, reason: string): Promise<void> {
    const failure: ItemFailure = { id: item.id, filename: item.name, reason, attempts: 1, kind: 'refused' };
    await this.deps.manifest.recordFailure({ ...failure, at: new Date().toISOString() });
    this.counts.failed++;
    if (this.failures.length < FAILURES_KEPT) this.failures.push(failure);
    this.deps.ctx.log.warn('a Takeout entry could not be stored', { item: item.name, folder: item.folder, reason });
  }

  /** Makes what is stored durable, then moves the resume point to `next`. */
  private async flush(next: number): Promise<void> {
    await this.inFlight.drain();
    await this.deps.sink.flush();
    await this.deps.manifest.flush();
    this.sinceFlush = 0;
    this.next = Math.max(this.next, next);
    this.deps.ctx.heartbeat(this.heartbeat());
  }

  private heartbeat(): ImportHeartbeat {
    return { ...this.result(), next: this.next };
  }
}
