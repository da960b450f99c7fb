// Recognising an item that is already stored under another id. Google does not say whether a
// Picker item's id is the same in every session, nor whether it equals the Library API's id, so
// an item whose id the manifest does not know is matched by name and capture time to the copies
// stored under them (an item without either: by its size, among copies without either), and
// confirmed by size and sha256 of its bytes before it counts as the same:
// then only a `sameAs` record is written, never a second copy. The bytes are read to confirm
// (through the same meter the sinks use) unless the announced size already rules every copy out.
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import type { MediaResponse } from '../google/media-download.js';
import type { Manifest, ManifestEntry } from '../manifest/manifest.js';
import { meter } from '../sinks/meter.js';
import type { MediaDescriptor } from '../sources/descriptor.js';

/**
 * Stored copies that may be this item (none when the manifest knows its id): those with its name
 * and capture time; for an item Google gave no name or no time, those of the announced size that
 * have none either.
 */
export function lookalikes(manifest: Manifest, descriptor: MediaDescriptor, announcedSize: number | undefined): ManifestEntry[] {
  if (manifest.get(descriptor.id)) return [];
  const named = descriptor.filename && descriptor.creationTime ? manifest.sameNameAndTime(descriptor.filename, descriptor.creationTime) : undefined;
  const found = named ?? (announcedSize === undefined ? [] : manifest.anonymousOfSize(announcedSize));
  return found.filter((entry) => entry.id !== descriptor.id);
}

export interface Recognition {
  /** The stored copy with the same bytes, if any. */
  readonly same?: ManifestEntry;
  readonly size?: number;
  readonly sha256?: string;
  /** Whether the media body was read (a different item must then be downloaded again to be stored). */
  readonly consumed: boolean;
}

/** Reads the body through a hash when a lookalike could have its size, and names the copy with the same bytes. */
export async function recognise(media: MediaResponse, candidates: readonly ManifestEntry[], label: string, onProgress?: (bytes: number) => void): Promise<Recognition> {
  if (media.size !== undefined && !candidates.some((entry) => entry.size === media.size)) return { consumed: false };
  const measured = meter({ ...(media.size !== undefined ? { expectedSize: media.size } : {}), originalFilename: label, ...(onProgress ? { onProgress } : {}) });
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  await pipeline(media.body, measured.stream, discard);
  const { size, sha256 } = measured.result();
  const same = candidates.find((entry) => entry.size === size && entry.sha256 === sha256);
  return { ...(same ? { same } : {}), size, sha256, consumed: true };
}
