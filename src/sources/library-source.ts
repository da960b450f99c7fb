// The Library API as a source: one API call per page of up to 100 descriptors; fresh baseUrls
// from this worker's recent listing, else from batchGet (≤50 ids per call).
import { LibraryClient, LIBRARY_MAX_BATCH_GET, LIBRARY_MAX_PAGE_SIZE } from '../google/library-client.js';
import type { MediaItem, SearchFilters } from '../google/types.js';
import { kindOf, videoStatusOf, type DescriptorPage, type MediaDescriptor } from './descriptor.js';
import type { MediaSource, ResolvedItem } from './source.js';

/** The descriptor of a Library item; any field Google omitted stays absent. */
export function describeMediaItem(item: MediaItem): MediaDescriptor {
  const video = item.mediaMetadata?.video;
  const creationTime = item.mediaMetadata?.creationTime;
  return {
    id: item.id,
    ...(item.filename ? { filename: item.filename } : {}),
    ...(item.mimeType ? { mimeType: item.mimeType } : {}),
    kind: kindOf(item.mimeType, video !== undefined),
    ...(creationTime ? { creationTime } : {}),
    ...(video ? { videoStatus: videoStatusOf(video.status) } : {}),
  };
}

export function resolvedMediaItem(item: MediaItem): ResolvedItem {
  // The baseUrl is a capability URL that expires within the hour: not worth keeping, not safe to.
  const { baseUrl, ...metadata } = item;
  return { descriptor: describeMediaItem(item), ...(baseUrl ? { baseUrl } : {}), metadata };
}

/** Items a listing on this worker saw recently, with their baseUrls (activities/url-cache.ts). */
export interface RecentItems {
  take(id: string): MediaItem | undefined;
}

export class LibrarySource implements MediaSource {
  readonly name = 'library';
  readonly mediaOrigins: readonly string[];

  constructor(
    private readonly client: LibraryClient,
    private readonly recent?: RecentItems,
  ) {
    this.mediaOrigins = client.mediaOrigins;
  }

  /**
   * One page of descriptors: `mediaItems.list`, or `mediaItems.search` when filters are given.
   * `onItems` sees the full items (with their baseUrls) before they are slimmed down.
   */
  async listPage(pageToken: string | undefined, filters?: SearchFilters, pageSize = LIBRARY_MAX_PAGE_SIZE, onItems?: (items: readonly MediaItem[]) => void): Promise<DescriptorPage> {
    const response = filters
      ? await this.client.search({ pageSize, ...(pageToken ? { pageToken } : {}), filters })
      : await this.client.list(pageSize, pageToken);
    onItems?.(response.mediaItems ?? []);
    return {
      items: (response.mediaItems ?? []).map(describeMediaItem),
      ...(response.nextPageToken ? { nextPageToken: response.nextPageToken } : {}),
    };
  }

  /** From this worker's recent listing (not for videos that were still processing), else batchGet. */
  async resolve(descriptors: readonly MediaDescriptor[]): Promise<Map<string, ResolvedItem | undefined>> {
    const found = new Map<string, ResolvedItem | undefined>();
    const missing: string[] = [];
    for (const d of descriptors) {
      const cached = d.videoStatus === 'PROCESSING' ? undefined : this.recent?.take(d.id);
      if (cached) found.set(d.id, resolvedMediaItem(cached));
      else missing.push(d.id);
    }
    for (let start = 0; start < missing.length; start += LIBRARY_MAX_BATCH_GET) {
      for (const [id, item] of await this.fresh(missing.slice(start, start + LIBRARY_MAX_BATCH_GET))) found.set(id, item);
    }
    return found;
  }

  async refresh(id: string): Promise<ResolvedItem | undefined> {
    return (await this.fresh([id])).get(id);
  }

  private async fresh(ids: readonly string[]): Promise<Map<string, ResolvedItem | undefined>> {
    const results = (await this.client.batchGet(ids)).mediaItemResults ?? [];
    return new Map(ids.map((id, i) => {
      const item = results[i]?.mediaItem;
      return [id, item ? resolvedMediaItem(item) : undefined];
    }));
  }
}
