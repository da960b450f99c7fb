// The slim description of a media item that travels through Temporal: no baseUrl, no token.
// Google omits empty fields, so only the id and the kind are sure to be there.

export type MediaKind = 'photo' | 'video';

export type VideoStatus = 'PROCESSING' | 'READY' | 'FAILED' | 'UNSPECIFIED';

export interface MediaDescriptor {
  readonly id: string;
  /** The name shown in Google Photos; absent when Google gave none (the item is named from its id). */
  readonly filename?: string;
  readonly mimeType?: string;
  readonly kind: MediaKind;
  /** RFC 3339 capture time as Google reports it; absent when Google gave none. */
  readonly creationTime?: string;
  /** Videos only: PROCESSING ones cannot be downloaded yet, FAILED ones never. */
  readonly videoStatus?: VideoStatus;
}

export interface DescriptorPage {
  readonly items: readonly MediaDescriptor[];
  /** Absent on the last page: its absence is the only end-of-list signal. */
  readonly nextPageToken?: string;
  /** How many items of the page the destination holds already: they are left out of `items`. */
  readonly known?: number;
}

export function kindOf(mimeType: string | undefined, hasVideoMetadata: boolean): MediaKind {
  return hasVideoMetadata || (mimeType ?? '').startsWith('video/') ? 'video' : 'photo';
}

/** A processing status as Google sent it, or UNSPECIFIED for one it omitted or we do not know. */
export function videoStatusOf(status: string | undefined): VideoStatus {
  return status === 'PROCESSING' || status === 'READY' || status === 'FAILED' ? status : 'UNSPECIFIED';
}

/** How messages name an item: its file name, or its id when Google gave no name. */
export function itemLabel(item: { readonly id: string; readonly filename?: string }): string {
  return item.filename ? item.filename : `(unnamed item ${item.id})`;
}
