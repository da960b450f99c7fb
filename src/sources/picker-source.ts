// The Picker API as a source: the items a person picked in one session. Picker has no batchGet,
// so fresh baseUrls come from listing the session again; one batch lists each page at most once
// (starting at the page its items came from), however many items it resolves.
import { PICKER_MAX_PAGE_SIZE, type PickerClient } from '../google/picker-client.js';
import type { PickedMediaItem } from '../google/types.js';
import { kindOf, videoStatusOf, type DescriptorPage, type MediaDescriptor, type MediaKind } from './descriptor.js';
import type { MediaSource, ResolvedItem } from './source.js';

function pickedKind(item: PickedMediaItem): MediaKind {
  if (item.type === 'VIDEO') return 'video';
  if (item.type === 'PHOTO') return 'photo';
  // TYPE_UNSPECIFIED, omitted or unknown: what the file says.
  return kindOf(item.mediaFile?.mimeType, item.mediaFile?.mediaFileMetadata?.videoMetadata !== undefined);
}

/** The descriptor of a picked item; any field Google omitted stays absent. */
export function describePickedItem(item: PickedMediaItem): MediaDescriptor {
  const file = item.mediaFile;
  const video = file?.mediaFileMetadata?.videoMetadata;
  return {
    id: item.id,
    ...(file?.filename ? { filename: file.filename } : {}),
    ...(file?.mimeType ? { mimeType: file.mimeType } : {}),
    kind: pickedKind(item),
    ...(item.createTime ? { creationTime: item.createTime } : {}),
    ...(video ? { videoStatus: videoStatusOf(video.processingStatus) } : {}),
  };
}

export function resolvedPickedItem(item: PickedMediaItem): ResolvedItem {
  const { mediaFile, ...rest } = item;
  if (!mediaFile) return { descriptor: describePickedItem(item), metadata: rest };
  // The baseUrl is a capability URL that expires within the hour: not worth keeping, not safe to.
  const { baseUrl, ...file } = mediaFile;
  return { descriptor: describePickedItem(item), ...(baseUrl ? { baseUrl } : {}), metadata: { ...rest, mediaFile: file } };
}

export class PickerSource implements MediaSource {
  readonly name = 'picker';
  readonly mediaOrigins: readonly string[];
  /** Items listed during this batch, with their baseUrls: never kept beyond it. */
  private listed = new Map<string, PickedMediaItem>();

  /** `startToken`: the page token the batch's items were listed with (re-listing starts there). */
  constructor(
    private readonly client: PickerClient,
    private readonly sessionId: string,
    private readonly startToken?: string,
  ) {
    this.mediaOrigins = client.mediaOrigins;
  }

  /** One page of the session's picked items as descriptors. */
  async listPage(pageToken: string | undefined, pageSize = PICKER_MAX_PAGE_SIZE): Promise<DescriptorPage> {
    const response = await this.client.listItems(this.sessionId, pageSize, pageToken);
    return {
      items: (response.mediaItems ?? []).map(describePickedItem),
      ...(response.nextPageToken ? { nextPageToken: response.nextPageToken } : {}),
    };
  }

  async resolve(descriptors: readonly MediaDescriptor[]): Promise<Map<string, ResolvedItem | undefined>> {
    const wanted = new Set(descriptors.map((d) => d.id).filter((id) => !this.listed.has(id)));
    if (wanted.size > 0) await this.list(wanted);
    return new Map(descriptors.map((d) => [d.id, this.resolved(d.id)]));
  }

  /** The session listed again (its URLs were all minted at the same time, so all are renewed). */
  async refresh(id: string): Promise<ResolvedItem | undefined> {
    this.listed = new Map();
    await this.list(new Set([id]));
    return this.resolved(id);
  }

  latest(item: ResolvedItem): ResolvedItem {
    return this.resolved(item.descriptor.id) ?? item;
  }

  private resolved(id: string): ResolvedItem | undefined {
    const item = this.listed.get(id);
    return item ? resolvedPickedItem(item) : undefined;
  }

  /** Lists pages until every wanted item was seen: from the batch's own page, then from the start. */
  private async list(wanted: Set<string>): Promise<void> {
    const starts = this.startToken ? [this.startToken, undefined] : [undefined];
    for (const start of starts) {
      let pageToken = start;
      do {
        const page = await this.client.listItems(this.sessionId, PICKER_MAX_PAGE_SIZE, pageToken);
        for (const item of page.mediaItems ?? []) {
          this.listed.set(item.id, item);
          wanted.delete(item.id);
        }
        pageToken = page.nextPageToken;
      } while (pageToken && wanted.size > 0);
      if (wanted.size === 0) return;
    }
  }
}
