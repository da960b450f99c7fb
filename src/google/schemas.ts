// Schemas of every Google Photos response we read (Library and Picker APIs), checked with zod at
// the edge where the response arrives. Google encodes its messages as proto3 JSON, which omits
// any field holding its default value ("", 0, false, empty lists): so every field but an item's
// id is optional here, and code past this edge never assumes a name, a date or a status.
// Fields we do not use are kept as they came (loose objects), so a sidecar holds what Google sent.
import { z } from 'zod';
import { GooglePhotosError } from './errors.js';

/** An enum Google may extend: unknown values are kept as strings, not rejected. */
const openEnum = z.string();

const libraryVideo = z.looseObject({
  cameraMake: z.string().optional(),
  cameraModel: z.string().optional(),
  fps: z.number().optional(),
  status: openEnum.optional(),
});

const libraryMetadata = z.looseObject({
  creationTime: z.string().optional(),
  /** int64 as a string in the Library API. */
  width: z.union([z.string(), z.number()]).optional(),
  height: z.union([z.string(), z.number()]).optional(),
  photo: z.looseObject({}).optional(),
  video: libraryVideo.optional(),
});

export const mediaItemSchema = z.looseObject({
  id: z.string().min(1),
  description: z.string().optional(),
  productUrl: z.string().optional(),
  baseUrl: z.string().optional(),
  mimeType: z.string().optional(),
  filename: z.string().optional(),
  mediaMetadata: libraryMetadata.optional(),
});

export const listMediaItemsSchema = z.looseObject({
  mediaItems: z.array(mediaItemSchema).optional(),
  nextPageToken: z.string().optional(),
});

const rpcStatus = z.looseObject({ code: z.number().optional(), message: z.string().optional() });

export const batchGetSchema = z.looseObject({
  mediaItemResults: z.array(z.looseObject({ mediaItem: mediaItemSchema.optional(), status: rpcStatus.optional() })).optional(),
});

/** Picker: `PickingSession` (google-photos-api.md §4.2). */
export const pickingSessionSchema = z.looseObject({
  id: z.string().min(1),
  pickerUri: z.string().optional(),
  pollingConfig: z.looseObject({ pollInterval: z.string().optional(), timeoutIn: z.string().optional() }).optional(),
  expireTime: z.string().optional(),
  pickingConfig: z.looseObject({ maxItemCount: z.union([z.string(), z.number()]).optional() }).optional(),
  mediaItemsSet: z.boolean().optional(),
});

/** Picker: `PickedMediaItem` (§4.4). Width and height are integers here. */
export const pickedMediaItemSchema = z.looseObject({
  id: z.string().min(1),
  createTime: z.string().optional(),
  type: openEnum.optional(),
  mediaFile: z
    .looseObject({
      baseUrl: z.string().optional(),
      mimeType: z.string().optional(),
      filename: z.string().optional(),
      mediaFileMetadata: z
        .looseObject({
          width: z.number().optional(),
          height: z.number().optional(),
          cameraMake: z.string().optional(),
          cameraModel: z.string().optional(),
          photoMetadata: z.looseObject({}).optional(),
          videoMetadata: z.looseObject({ fps: z.number().optional(), processingStatus: openEnum.optional() }).optional(),
        })
        .optional(),
    })
    .optional(),
});

export const listPickedMediaItemsSchema = z.looseObject({
  mediaItems: z.array(pickedMediaItemSchema).optional(),
  nextPageToken: z.string().optional(),
});

export type MediaItem = z.infer<typeof mediaItemSchema>;
export type ListMediaItemsResponse = z.infer<typeof listMediaItemsSchema>;
export type BatchGetResponse = z.infer<typeof batchGetSchema>;
export type PickingSession = z.infer<typeof pickingSessionSchema>;
export type PickedMediaItem = z.infer<typeof pickedMediaItemSchema>;
export type ListPickedMediaItemsResponse = z.infer<typeof listPickedMediaItemsSchema>;

/** The first problems zod found, as `path: message`, short enough for a log line. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`)
    .join('; ');
}

/**
 * Parses a 2xx body of `operation` against its schema. Anything that is not what Google documents
 * (HTML from a proxy, a truncated body, wrong types) is an `invalid-response` error naming the call.
 */
export function parseResponse<T>(operation: string, schema: z.ZodType<T>, text: string, contentType?: string | null): T {
  let value: unknown;
  try {
    value = text === '' ? {} : JSON.parse(text);
  } catch {
    const what = contentType ? ` (${contentType.split(';')[0]})` : '';
    throw new GooglePhotosError('invalid-response', `${operation}: Google's answer is not JSON${what}: ${JSON.stringify(text.slice(0, 80))}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new GooglePhotosError('invalid-response', `${operation}: Google's answer is not what the API documents: ${describeIssues(parsed.error)}`);
  return parsed.data;
}
