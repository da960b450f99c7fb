// downloadBatch: stores up to one page of items. Skips what the manifest already holds, has the
// items' source (Library, Picker: src/sources/source.ts) resolve fresh baseUrls right before
// downloading, streams each photo (`=d`) or video (`=dv`) into the sink, records it in the
// manifest and heartbeats what is done, so a retried attempt resumes where the last one stopped. PROCESSING videos are handed back to
// be tried later. An item that cannot be stored after its tries (or that trips a bug in our
// code) is recorded as failed and the batch goes on; the next run tries it again. Errors of the
// destination itself, of the sign-in, and Google's daily quota stop the batch (item-errors.ts).
import { Context } from '@temporalio/activity';
import { ConfigError } from '../config.js';
import type { AccountRef } from '../google/account.js';
import type { AccessTokenSource } from '../google/credentials.js';
import { GooglePhotosError } from '../google/errors.js';
import type { LibraryClient } from '../google/library-client.js';
import { openMedia } from '../google/media-download.js';
import type { PickerClient } from '../google/picker-client.js';
import type { Manifest, ManifestEntry, SourceName } from '../manifest/manifest.js';
import { destinationLabel, manifestFor, openSink, type DestinationSpec } from '../destination.js';
import { candidateKeys, captureTimeMs } from '../sinks/layout.js';
import type { Sink, StoredObject } from '../sinks/sink.js';
import { itemLabel, type MediaDescriptor } from '../sources/descriptor.js';
import { LibrarySource } from '../sources/library-source.js';
import { PickerSource } from '../sources/picker-source.js';
import type { MediaSource, ResolvedItem, SourceSelector } from '../sources/source.js';
import { BatchProgress, type DownloadBatchResult, type ItemFailure } from './batch-progress.js';
import { ITEM_ATTEMPTS, judgeItemError, type ItemVerdict } from './item-errors.js';
import { Pace } from './pace.js';
import { lookalikes, recognise } from './same-item.js';
import type { BaseUrlCache } from './url-cache.js';

export type { DownloadBatchHeartbeat, DownloadBatchResult, ItemFailure } from './batch-progress.js';

export interface DownloadBatchInput {
  readonly account: AccountRef;
  readonly destination: DestinationSpec;
  readonly items: readonly MediaDescriptor[];
  /** Where the items come from (default: the Library API). */
  readonly source?: SourceSelector;
  /** Write `<file>.json` with the item's metadata beside each file. */
  readonly sidecars?: boolean;
  /**
   * Hand items whose tries are spent on transient trouble back (`retryLater`) for a round at
   * the end of the backup, instead of recording them as failed now.
   */
  readonly retryLater?: boolean;
  /** These items come back from an earlier round, where each had its full tries already. */
  readonly finalRound?: boolean;
  /** The least time between two media requests of this batch: its share of the run's rate. */
  readonly mediaIntervalMs?: number;
}

export interface OpenDestination {
  readonly sink: Sink;
  readonly manifest: Manifest;
}

/** A client of one Google API for a sign-in, with the sign-in's tokens (for the media requests). */
export type SignedInClient<C> = (account: AccountRef) => Promise<{ client: C; tokens: AccessTokenSource }>;

export interface DownloadDeps {
  readonly library: SignedInClient<LibraryClient>;
  /** Needed for batches of picked items only. */
  readonly picker?: SignedInClient<PickerClient>;
  /** baseUrls this worker's Library listing just saw (saves a batchGet when still fresh). */
  readonly urls: BaseUrlCache;
  /** Opens the destination (default: the shared sink and manifest of destination.ts). */
  readonly destination?: (spec: DestinationSpec) => Promise<OpenDestination>;
}

/** Items resolved at a time (one Library batchGet); names and manifest records are made durable after each. */
const CHUNK_SIZE = 50;
/** Items given up in a row for transient reasons: more look like an outage, not bad items. */
const OUTAGE_STREAK = 3;
/** From this attempt of the batch on, even an apparent outage gives its items up. */
const OUTAGE_RETRIES = 8;

async function openDestination(spec: DestinationSpec): Promise<OpenDestination> {
  return { sink: openSink(spec), manifest: await manifestFor(spec) };
}

/** In the manifest, not found bad by `verify`, and (where a stat is cheap) still there with its size. */
export async function alreadyStored(manifest: Manifest, sink: Sink, id: string): Promise<boolean> {
  const entry = manifest.get(id);
  if (!entry || manifest.needsRepair(id)) return false;
  if (!sink.cheapStat) return true;
  const stat = await sink.stat(entry.key);
  return stat?.size === entry.size;
}

/** The item's metadata as Google gave it (without the baseUrl: the source leaves it out). */
function sidecarJson(item: ResolvedItem): string {
  return `${JSON.stringify(item.metadata, null, 2)}\n`;
}

/** The batch's source, built for this batch only (a Picker source keeps what it listed until the batch ends). */
async function openSource(deps: DownloadDeps, input: DownloadBatchInput): Promise<{ source: MediaSource; tokens: AccessTokenSource }> {
  const selector = input.source ?? { kind: 'library' };
  if (selector.kind === 'library') {
    const { client, tokens } = await deps.library(input.account);
    return { source: new LibrarySource(client, deps.urls), tokens };
  }
  if (!deps.picker) throw new ConfigError('this worker cannot download picked items: it has no Picker API client');
  const { client, tokens } = await deps.picker(input.account);
  return { source: new PickerSource(client, selector.sessionId, selector.pageToken), tokens };
}

export function createDownloadActivity(deps: DownloadDeps) {
  return async function downloadBatch(input: DownloadBatchInput): Promise<DownloadBatchResult> {
    const ctx = Context.current();
    const { source, tokens } = await openSource(deps, input);
    const { sink, manifest } = await (deps.destination ?? openDestination)(input.destination);
    const progress = new BatchProgress(ctx);
    try {
      return await new BatchRun({ ctx, input, source, tokens, sink, manifest, progress }).execute();
    } finally {
      progress.stop();
    }
  };
}

interface RunParts {
  readonly ctx: Context;
  readonly input: DownloadBatchInput;
  readonly source: MediaSource;
  readonly tokens: AccessTokenSource;
  readonly sink: Sink;
  readonly manifest: Manifest;
  readonly progress: BatchProgress;
}

/** One attempt at one batch: its items, chunk by chunk, one item at a time. */
class BatchRun {
  /** Items given up for transient reasons since the last item stored (see giveUp). */
  private suspects: { failure: ItemFailure; descriptor: MediaDescriptor }[] = [];
  private readonly where: string;

  private readonly pace: Pace;

  constructor(private readonly run: RunParts) {
    this.where = destinationLabel(run.input.destination);
    this.pace = new Pace(run.input.mediaIntervalMs ?? 0, run.ctx);
  }

  async execute(): Promise<DownloadBatchResult> {
    const { sink, manifest, progress } = this.run;
    const pending: MediaDescriptor[] = [];
    for (const item of this.run.input.items) {
      if (progress.has(item.id)) continue;
      if (await alreadyStored(manifest, sink, item.id)) this.foundStored(item.id);
      else pending.push(item);
    }
    for (let start = 0; start < pending.length; start += CHUNK_SIZE) {
      await this.storeChunk(pending.slice(start, start + CHUNK_SIZE));
      // Durable names and manifest records every chunk: a crash re-checks at most one chunk.
      await sink.flush();
      await manifest.flush();
    }
    await this.settleSuspects();
    await manifest.flush();
    return progress.result();
  }

  /**
   * An item the manifest holds: stored by an earlier attempt of this very batch (a worker killed
   * after storing it, before its heartbeat said so) counts as stored, anything older as already there.
   */
  private foundStored(id: string): void {
    const entry = this.run.manifest.get(id);
    const byThisBatch = entry !== undefined && entry.sameAs === undefined && Date.parse(entry.storedAt) >= this.run.ctx.info.scheduledTimestampMs;
    if (byThisBatch) this.run.progress.stored(id, entry.size);
    else this.run.progress.skipped(id);
  }

  private async storeChunk(chunk: readonly MediaDescriptor[]): Promise<void> {
    const items = await this.resolveOrGiveUp(chunk);
    if (!items) return;
    for (const descriptor of chunk) {
      const item = items.get(descriptor.id);
      if (!item) {
        await this.recordFailure({ ...failureOf(descriptor), reason: 'not found: deleted, or not visible to this app', attempts: 1, kind: 'gone' });
        continue;
      }
      const status = item.descriptor.videoStatus;
      if (status === 'PROCESSING') this.run.progress.deferred(item.descriptor);
      else if (status === 'FAILED') await this.recordFailure({ ...failureOf(descriptor), reason: 'video processing failed at Google', attempts: 1, kind: 'video-failed' });
      else await this.storeItem(this.run.source.latest?.(item) ?? item);
    }
  }

  /** Items with usable baseUrls; when Google's answer is unusable, the chunk's items are given up. */
  private async resolveOrGiveUp(chunk: readonly MediaDescriptor[]): Promise<Map<string, ResolvedItem | undefined> | undefined> {
    try {
      return await this.run.source.resolve(chunk);
    } catch (error) {
      const verdict = judgeItemError(error, ITEM_ATTEMPTS - 1, this.where, this.run.ctx.cancellationSignal.aborted);
      // Transient trouble listing URLs is the service's, not the items': the batch is retried.
      if (verdict.action !== 'give-up' || verdict.transient) throw verdict.action === 'stop' ? verdict.error : error;
      if (verdict.bug) this.logBug(chunk.map((d) => d.id).join(','), error);
      for (const descriptor of chunk) await this.recordFailure({ ...failureOf(descriptor), reason: verdict.reason, attempts: 1, kind: verdict.bug ? 'bug' : 'refused' });
      return undefined;
    }
  }

  /** Stores one item, trying again on transient trouble; gives it up once its tries are spent. */
  private async storeItem(item: ResolvedItem): Promise<void> {
    const { id } = item.descriptor;
    let current = item;
    for (let attempt = 0; ; attempt++) {
      try {
        const stored = await this.putOnce(current);
        await this.settleSuspects();
        if (stored.alreadyStored) this.run.progress.skipped(id);
        else this.run.progress.stored(id, stored.size);
        return;
      } catch (error) {
        const verdict = judgeItemError(error, attempt, this.where, this.run.ctx.cancellationSignal.aborted);
        if (verdict.action === 'stop') throw verdict.error;
        if (verdict.action === 'give-up') return this.giveUp(item, verdict, attempt + 1, error);
        await this.patientSleep(verdict.waitMs);
        if (verdict.refreshUrl) {
          const again = await this.run.source.refresh(id);
          if (!again) return this.recordFailure({ ...failureOf(item.descriptor), reason: 'no longer available at Google', attempts: attempt + 1, kind: 'gone' });
          current = again;
        }
      }
    }
  }

  /** Download, store, sidecar, manifest record: one try. */
  private async putOnce(item: ResolvedItem): Promise<StoredObject> {
    const { ctx, input, sink, manifest, tokens, progress, source } = this.run;
    const { descriptor, baseUrl } = item;
    const { id } = descriptor;
    if (!baseUrl) throw new GooglePhotosError('url-expired', `no baseUrl for ${itemLabel(descriptor)}`);
    const open = async () => {
      await this.pace.turn();
      return openMedia(baseUrl, descriptor.kind, { tokens, signal: ctx.cancellationSignal, allowedOrigins: source.mediaOrigins });
    };
    let media = await open();
    const candidates = lookalikes(manifest, descriptor, media.size);
    if (candidates.length > 0) {
      const recognition = await recognise(media, candidates, itemLabel(descriptor), (bytes) => progress.bytes(bytes));
      if (recognition.same) return this.recordSameAs(descriptor, recognition.same);
      // Same name and time, other bytes: a different item, downloaded again to be stored.
      if (recognition.consumed) media = await open();
    }
    const captured = captureTimeMs(descriptor.creationTime);
    const stored = await sink.put({
      // Without a MIME type from Google, the media server's names the extension of a nameless item.
      candidates: candidateKeys({ ...descriptor, mimeType: descriptor.mimeType ?? media.contentType }),
      body: media.body,
      ...(media.size !== undefined ? { expectedSize: media.size } : {}),
      mimeType: descriptor.mimeType ?? media.contentType ?? 'application/octet-stream',
      // Undated items keep the time they were stored.
      mtime: captured === undefined ? new Date() : new Date(captured),
      mediaId: id,
      originalFilename: descriptor.filename ?? '',
      ownerOf: (key) => manifest.ownerOf(key, id),
      signal: ctx.cancellationSignal,
      repair: manifest.needsRepair(id),
      onProgress: (bytes) => progress.bytes(bytes),
    });
    const sidecarKey = `${stored.key}.json`;
    if (input.sidecars && !(stored.alreadyStored && (await sink.stat(sidecarKey)))) await sink.writeText(sidecarKey, sidecarJson(item), id);
    await manifest.record(manifestRecord(descriptor, stored, source.name));
    return stored;
  }

  /** The item is a stored copy's under another id: a record that says so, and nothing stored. */
  private async recordSameAs(descriptor: MediaDescriptor, same: ManifestEntry): Promise<StoredObject> {
    const { id } = descriptor;
    this.run.ctx.log.info('recognised an item stored under another id (same name, capture time, size and sha256)', { id, sameAs: same.id, key: same.key });
    await this.run.manifest.record(manifestRecord(descriptor, same, this.run.source.name, same.id));
    return { key: same.key, size: same.size, sha256: same.sha256, alreadyStored: true };
  }

  /**
   * Gives an item up for this run. A transient failure is held back first: when the next items
   * are stored, it was this item's trouble and is recorded; when several in a row fail, the
   * service is down for everyone, and the batch is retried later instead (their tries reset).
   */
  private async giveUp(item: ResolvedItem, verdict: Extract<ItemVerdict, { action: 'give-up' }>, attempts: number, error: unknown): Promise<void> {
    const earlier = this.run.input.finalRound && verdict.transient ? ITEM_ATTEMPTS : 0;
    const kind = verdict.bug ? 'bug' : verdict.transient ? 'transient' : 'refused';
    const failure: ItemFailure = { ...failureOf(item.descriptor), reason: verdict.reason, attempts: attempts + earlier, kind };
    if (verdict.bug) this.logBug(item.descriptor.id, error);
    if (!verdict.transient) return this.recordFailure(failure);
    this.suspects.push({ failure, descriptor: item.descriptor });
    if (this.suspects.length >= OUTAGE_STREAK && this.run.ctx.info.attempt < OUTAGE_RETRIES) {
      throw new GooglePhotosError('server', `${this.suspects.length} items in a row could not be downloaded (last: ${verdict.reason}); the batch is tried again later`);
    }
  }

  /** The held-back failures are the items' own: hand them back for a later round, or record them. */
  private async settleSuspects(): Promise<void> {
    const suspects = this.suspects;
    this.suspects = [];
    for (const { failure, descriptor } of suspects) {
      if (this.run.input.retryLater) this.run.progress.handedBack(descriptor);
      else await this.recordFailure(failure);
    }
  }

  private async recordFailure(failure: ItemFailure): Promise<void> {
    await this.run.manifest.recordFailure({ ...failure, at: new Date().toISOString() });
    this.run.progress.failed(failure);
  }

  private logBug(ids: string, error: unknown): void {
    this.run.ctx.log.error('internal error while storing; the item is recorded as failed and the batch goes on', {
      items: ids,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }

  /** Sleeps while heartbeating (the progress ticker), so a long wait never looks like a dead worker. */
  private async patientSleep(ms: number): Promise<void> {
    this.run.progress.beat(true);
    await this.run.ctx.sleep(ms);
  }
}

/** The manifest record of an item stored (or, with `sameAs`, recognised) at `stored.key`. */
function manifestRecord(descriptor: MediaDescriptor, stored: Pick<StoredObject, 'key' | 'size' | 'sha256'>, source: SourceName, sameAs?: string): ManifestEntry {
  return {
    id: descriptor.id,
    key: stored.key,
    size: stored.size,
    sha256: stored.sha256,
    ...(descriptor.creationTime ? { creationTime: descriptor.creationTime } : {}),
    ...(descriptor.filename ? { filename: descriptor.filename } : {}),
    source,
    storedAt: new Date().toISOString(),
    ...(sameAs !== undefined ? { sameAs } : {}),
  };
}

function failureOf(item: { readonly id: string; readonly filename?: string }): Pick<ItemFailure, 'id' | 'filename'> {
  return { id: item.id, ...(item.filename ? { filename: item.filename } : {}) };
}
