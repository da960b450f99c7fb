// downloadBatch: stores up to one page of items. Skips what the manifest already holds, fetches
// fresh baseUrls (batchGet, ≤50 ids per call) right before downloading, streams each photo
// (`=d`) or video (`=dv`) into the sink, records it in the manifest and heartbeats what is done,
// so a retried attempt resumes where the last one stopped. PROCESSING videos are handed back to
// be tried later; items Google will not serve are recorded as failures and do not fail the batch.
import { Context } from '@temporalio/activity';
import type { AccountRef } from '../google/account.js';
import type { AccessTokenSource } from '../google/credentials.js';
import { GooglePhotosError } from '../google/errors.js';
import { LIBRARY_MAX_BATCH_GET, type LibraryClient } from '../google/library-client.js';
import { openMedia } from '../google/media-download.js';
import type { MediaItem } from '../google/types.js';
import type { Manifest } from '../manifest/manifest.js';
import { manifestFor, openSink, type DestinationSpec } from '../destination.js';
import { candidateKeys } from '../sinks/layout.js';
import type { Sink } from '../sinks/sink.js';
import type { MediaDescriptor } from '../sources/descriptor.js';
import { describeMediaItem } from '../sources/library-source.js';
import type { BaseUrlCache } from './url-cache.js';

export interface DownloadBatchInput {
  readonly account: AccountRef;
  readonly destination: DestinationSpec;
  readonly items: readonly MediaDescriptor[];
  /** Write `<file>.json` with the item's metadata beside each file. */
  readonly sidecars?: boolean;
}

export interface ItemFailure {
  readonly id: string;
  readonly filename: string;
  readonly reason: string;
}

export interface DownloadBatchResult {
  readonly stored: number;
  readonly storedBytes: number;
  /** Already in the destination (manifest and file agree). */
  readonly skipped: number;
  readonly failed: readonly ItemFailure[];
  /** Videos still PROCESSING at Google: try again later. */
  readonly deferred: readonly MediaDescriptor[];
}

/**
 * Heartbeat details: the result so far plus the ids finished, for the next attempt, and the bytes
 * of the item being stored now (for live progress: `status` and `--follow` add them up).
 */
export interface DownloadBatchHeartbeat extends DownloadBatchResult {
  readonly done: readonly string[];
  readonly currentBytes?: number;
}
type Progress = DownloadBatchHeartbeat;

export interface DownloadDeps {
  readonly library: (account: AccountRef) => Promise<{ client: LibraryClient; tokens: AccessTokenSource }>;
  /** baseUrls this worker's listing just saw (saves a batchGet when still fresh). */
  readonly urls: BaseUrlCache;
}

const EMPTY: Progress = { stored: 0, storedBytes: 0, skipped: 0, failed: [], deferred: [], done: [] };
const PROGRESS_HEARTBEAT_MS = 1000;
/** Tries per item inside one activity attempt before the activity itself is retried. */
const ITEM_ATTEMPTS = 4;
/** Longer waits (e.g. a 429 asking for minutes) are left to Temporal's retry. */
const MAX_IN_ACTIVITY_WAIT_MS = 60_000;

function priorProgress(): Progress {
  const details: unknown = Context.current().info.heartbeatDetails;
  const p = details as Partial<Progress> | undefined;
  if (!p || !Array.isArray(p.done)) return EMPTY;
  return { ...EMPTY, ...p };
}

/** In the manifest, and (where a stat is cheap) still there with its size; `verify` checks deeper. */
async function alreadyStored(manifest: Manifest, sink: Sink, id: string): Promise<boolean> {
  const entry = manifest.get(id);
  if (!entry) return false;
  if (!sink.cheapStat) return true;
  const stat = await sink.stat(entry.key);
  return stat?.size === entry.size;
}

function sidecarJson(item: MediaItem): string {
  // The baseUrl is a capability URL that expires within the hour: not worth keeping, not safe to.
  const { baseUrl: _drop, ...metadata } = item;
  return `${JSON.stringify(metadata, null, 2)}\n`;
}

export function createDownloadActivity(deps: DownloadDeps) {
  return async function downloadBatch(input: DownloadBatchInput): Promise<DownloadBatchResult> {
    const ctx = Context.current();
    let progress = priorProgress();
    const done = new Set(progress.done);
    let lastBeat = 0;
    /** Heartbeats what is done, at most once a second (the manifest covers the rest on a retry). */
    const beat = (force = false) => {
      const now = Date.now();
      if (!force && now - lastBeat < PROGRESS_HEARTBEAT_MS) return;
      lastBeat = now;
      progress = { ...progress, done: [...done] };
      ctx.heartbeat(progress);
    };
    const update = (change: Partial<Progress>, id?: string) => {
      if (id !== undefined) done.add(id);
      progress = { ...progress, currentBytes: 0, ...change };
      beat();
    };

    const { client, tokens } = await deps.library(input.account);
    const sink = openSink(input.destination);
    const manifest = await manifestFor(input.destination);

    const pending: MediaDescriptor[] = [];
    for (const item of input.items) {
      if (done.has(item.id)) continue;
      if (await alreadyStored(manifest, sink, item.id)) update({ skipped: progress.skipped + 1 }, item.id);
      else pending.push(item);
    }

    /** Sleeps while heartbeating, so a long wait never looks like a dead worker. */
    const patientSleep = async (ms: number) => {
      for (let left = ms; left > 0; left -= PROGRESS_HEARTBEAT_MS) {
        beat(true);
        await ctx.sleep(Math.min(left, PROGRESS_HEARTBEAT_MS));
      }
    };

    const fail = async (id: string, filename: string, reason: string) => {
      await manifest.recordFailure({ id, filename, reason, at: new Date().toISOString() });
      update({ failed: [...progress.failed, { id, filename, reason }] }, id);
    };

    const fresh = async (ids: readonly string[]): Promise<Map<string, MediaItem | undefined>> => {
      const answer = await client.batchGet(ids);
      const results = answer.mediaItemResults ?? [];
      return new Map(ids.map((id, i) => [id, results[i]?.mediaItem]));
    };

    /** Items with usable baseUrls: from this worker's recent listing, else batchGet (≤50 per call). */
    const resolve = async (chunk: readonly MediaDescriptor[]): Promise<Map<string, MediaItem | undefined>> => {
      const found = new Map<string, MediaItem | undefined>();
      const missing: string[] = [];
      for (const d of chunk) {
        const cached = d.videoStatus === 'PROCESSING' ? undefined : deps.urls.take(d.id);
        if (cached) found.set(d.id, cached);
        else missing.push(d.id);
      }
      if (missing.length > 0) for (const [id, item] of await fresh(missing)) found.set(id, item);
      return found;
    };

    const store = async (item: MediaItem): Promise<void> => {
      const descriptor = describeMediaItem(item);
      let current = item;
      for (let attempt = 0; ; attempt++) {
        if (!current.baseUrl) throw new GooglePhotosError('url-expired', `no baseUrl for ${item.filename}`);
        try {
          const media = await openMedia(current.baseUrl, descriptor.kind, { tokens, signal: ctx.cancellationSignal });
          const stored = await sink.put({
            candidates: candidateKeys(descriptor),
            body: media.body,
            ...(media.size !== undefined ? { expectedSize: media.size } : {}),
            mimeType: item.mimeType,
            mtime: Number.isNaN(Date.parse(item.mediaMetadata.creationTime)) ? new Date() : new Date(item.mediaMetadata.creationTime),
            mediaId: item.id,
            originalFilename: item.filename,
            ownerOf: (key) => manifest.ownerOf(key, item.id),
            signal: ctx.cancellationSignal,
            onProgress: (bytes) => {
              progress = { ...progress, currentBytes: bytes };
              beat();
            },
          });
          const sidecarKey = `${stored.key}.json`;
          if (input.sidecars && !(stored.alreadyStored && (await sink.stat(sidecarKey)))) await sink.writeText(sidecarKey, sidecarJson(item), item.id);
          await manifest.record({
            id: item.id,
            key: stored.key,
            size: stored.size,
            sha256: stored.sha256,
            creationTime: item.mediaMetadata.creationTime,
            filename: item.filename,
            source: 'library',
            storedAt: new Date().toISOString(),
          });
          // An object found already in place (its manifest record was lost) counts as skipped.
          if (stored.alreadyStored) update({ skipped: progress.skipped + 1 }, item.id);
          else update({ stored: progress.stored + 1, storedBytes: progress.storedBytes + stored.size }, item.id);
          return;
        } catch (caught) {
          if (ctx.cancellationSignal.aborted) throw caught;
          const error = caught instanceof GooglePhotosError ? caught : new GooglePhotosError('network', `storing ${item.filename} failed: ${(caught as Error).message}`, { cause: caught });
          if (!error.retryable || error.kind === 'daily-quota' || attempt >= ITEM_ATTEMPTS - 1) throw error;
          // Transient trouble with one item is retried here, so the rest of the batch goes on.
          const wait = error.kind === 'rate-limited' ? (error.details.retryAfterMs ?? 30_000) : 1000 * 2 ** attempt;
          if (wait > MAX_IN_ACTIVITY_WAIT_MS) throw error;
          await patientSleep(wait);
          if (error.kind === 'url-expired') {
            // The URL expired mid-batch (or early): fetch a fresh one.
            const again = (await fresh([item.id])).get(item.id);
            if (!again) throw new GooglePhotosError('not-found', `${item.filename} is no longer available`);
            current = again;
          }
        }
      }
    };

    for (let start = 0; start < pending.length; start += LIBRARY_MAX_BATCH_GET) {
      const chunk = pending.slice(start, start + LIBRARY_MAX_BATCH_GET);
      const items = await resolve(chunk);
      for (const descriptor of chunk) {
        const item = items.get(descriptor.id);
        if (!item) {
          await fail(descriptor.id, descriptor.filename, 'not found: deleted, or not visible to this app');
          continue;
        }
        const status = item.mediaMetadata.video?.status;
        if (status === 'PROCESSING') {
          update({ deferred: [...progress.deferred, describeMediaItem(item)] }, item.id);
          continue;
        }
        if (status === 'FAILED') {
          await fail(item.id, item.filename, 'video processing failed at Google');
          continue;
        }
        try {
          await store(item);
        } catch (error) {
          if (error instanceof GooglePhotosError && error.kind === 'not-found') await fail(item.id, item.filename, error.message);
          else throw error;
        }
      }
      // Durable names and manifest records every chunk: a crash re-checks at most one chunk.
      await sink.flush();
      await manifest.flush();
    }
    await manifest.flush();
    beat(true);
    const { done: _done, currentBytes: _current, ...result } = progress;
    return result;
  };
}
