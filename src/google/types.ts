// Wire types of the Photos Library and Picker APIs (google-photos-api.md §2.3, §4.2, §4.4).
// Neither API has a generated Node client: response types come from the zod schemas that check
// every answer at the edge (schemas.ts); request types are written from the REST reference.
export type { BatchGetResponse, ListMediaItemsResponse, ListPickedMediaItemsResponse, MediaItem, PickedMediaItem, PickingSession } from './schemas.js';

export type VideoProcessingStatus = 'UNSPECIFIED' | 'PROCESSING' | 'READY' | 'FAILED';

export interface GoogleDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

export interface SearchFilters {
  readonly dateFilter?: { readonly dates?: readonly GoogleDate[]; readonly ranges?: readonly { startDate: GoogleDate; endDate: GoogleDate }[] };
  readonly mediaTypeFilter?: { readonly mediaTypes: readonly ('ALL_MEDIA' | 'PHOTO' | 'VIDEO')[] };
  readonly includeArchivedMedia?: boolean;
}

export interface SearchMediaItemsRequest {
  readonly albumId?: string;
  readonly pageSize?: number;
  readonly pageToken?: string;
  readonly filters?: SearchFilters;
  readonly orderBy?: string;
}
