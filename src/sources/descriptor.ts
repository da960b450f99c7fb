// The slim description of a media item that travels through Temporal: no baseUrl, no token.

export type MediaKind = 'photo' | 'video';

export interface MediaDescriptor {
  readonly id: string;
  readonly filename: string;
  readonly mimeType: string;
  readonly kind: MediaKind;
  /** RFC 3339 capture time as Google reports it. */
  readonly creationTime: string;
  /** Videos only: PROCESSING ones cannot be downloaded yet, FAILED ones never. */
  readonly videoStatus?: 'PROCESSING' | 'READY' | 'FAILED' | 'UNSPECIFIED';
}

export interface DescriptorPage {
  readonly items: readonly MediaDescriptor[];
  /** Absent on the last page: its absence is the only end-of-list signal. */
  readonly nextPageToken?: string;
}

export function kindOf(mimeType: string, hasVideoMetadata: boolean): MediaKind {
  return hasVideoMetadata || mimeType.startsWith('video/') ? 'video' : 'photo';
}
