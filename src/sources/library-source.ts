// The Library API as a source of descriptors: one API call per page of up to 100 items.
import { LibraryClient, LIBRARY_MAX_PAGE_SIZE } from '../google/library-client.js';
import type { MediaItem, SearchFilters } from '../google/types.js';
import { kindOf, videoStatusOf, type DescriptorPage, type MediaDescriptor } from './descriptor.js';

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

export class LibrarySource {
  constructor(private readonly client: LibraryClient) {}

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
}
