// How Google writes a message as JSON (proto3 JSON): a field holding its default value ("", 0,
// false, an empty list or message) is left out, and so is any field the item has no value for.
// The emulator renders every item through here, so clients meet absent fields as they would at
// Google (google-photos-api.md §2.4).
import type { EmulatedItem, OmittableField } from './library.js';

function isDefault(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === 0 || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

/** The value with every default-valued field left out, at every depth. */
export function protoJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(protoJson);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    const rendered = protoJson(field);
    if (!isDefault(rendered)) out[key] = rendered;
  }
  return out;
}

/** Where each omittable field sits in a Library `MediaItem` and a Picker `PickedMediaItem`. */
const PATHS: Record<OmittableField, { library: readonly string[][]; picker: readonly string[][] }> = {
  filename: { library: [['filename']], picker: [['mediaFile', 'filename']] },
  mimeType: { library: [['mimeType']], picker: [['mediaFile', 'mimeType']] },
  creationTime: { library: [['mediaMetadata', 'creationTime']], picker: [['createTime']] },
  description: { library: [['description']], picker: [] },
  videoStatus: { library: [['mediaMetadata', 'video', 'status']], picker: [['mediaFile', 'mediaFileMetadata', 'videoMetadata', 'processingStatus']] },
  mediaMetadata: { library: [['mediaMetadata']], picker: [['mediaFile', 'mediaFileMetadata']] },
};

function drop(target: Record<string, unknown>, path: readonly string[]): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) {
    delete target[head];
    return;
  }
  const next = target[head];
  if (typeof next === 'object' && next !== null) drop(next as Record<string, unknown>, rest);
}

/** The rendered item as Google would send it: the item's omitted fields and all defaults left out. */
export function renderWire(rendered: Record<string, unknown>, item: EmulatedItem, api: 'library' | 'picker'): Record<string, unknown> {
  for (const field of item.omit ?? []) for (const path of PATHS[field][api]) drop(rendered, path);
  return protoJson(rendered) as Record<string, unknown>;
}
