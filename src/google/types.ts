// Wire types of the Photos Library and Picker APIs (google-photos-api.md §2.3, §4.2, §4.4).
// Neither API has a generated Node client, so these are written from the REST reference.

export type VideoProcessingStatus = 'UNSPECIFIED' | 'PROCESSING' | 'READY' | 'FAILED';

export interface MediaItem {
  readonly id: string;
  readonly description?: string;
  readonly productUrl?: string;
  /** Capability URL valid ~60 minutes: never store it, never put it in Temporal. */
  readonly baseUrl?: string;
  readonly mimeType: string;
  readonly filename: string;
  readonly mediaMetadata: {
    readonly creationTime: string;
    readonly width?: string;
    readonly height?: string;
    readonly photo?: Record<string, unknown>;
    readonly video?: { readonly fps?: number; readonly status?: VideoProcessingStatus } & Record<string, unknown>;
  };
}

export interface ListMediaItemsResponse {
  readonly mediaItems?: readonly MediaItem[];
  readonly nextPageToken?: string;
}

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

export interface MediaItemResult {
  readonly mediaItem?: MediaItem;
  readonly status?: { readonly code?: number; readonly message?: string };
}

export interface BatchGetResponse {
  readonly mediaItemResults?: readonly MediaItemResult[];
}
