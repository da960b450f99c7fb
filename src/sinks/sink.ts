// Where backed-up bytes go. A Sink publishes an object only once its bytes are complete and
// verified: nothing half-written is ever visible under a final key.
import type { Readable } from 'node:stream';

/** Who a key belongs to according to the manifest. */
export type KeyOwnership = 'this-item' | 'another-item' | 'unknown';

export interface PutInput {
  /**
   * Keys to try in order (plain name first, then stable suffixes); the first free one wins. The
   * last one is the item's own (suffixed with the whole hash of its id): no other item uses it.
   */
  readonly candidates: readonly string[];
  readonly body: Readable;
  /** Length the server announced; a different count of bytes fails the put as truncated. */
  readonly expectedSize?: number;
  readonly mimeType: string;
  /** The item's creation time: the file's mtime on disk. */
  readonly mtime: Date;
  readonly mediaId: string;
  readonly originalFilename: string;
  readonly ownerOf: (key: string) => KeyOwnership;
  readonly signal?: AbortSignal;
  /**
   * `verify` found the item's stored copy missing or corrupt: what lies at its key is not to be
   * trusted (not even a matching sha256 in its metadata), so the bytes are written again.
   */
  readonly repair?: boolean;
  /** Called as bytes arrive (for heartbeats and progress). */
  readonly onProgress?: (bytes: number) => void;
}

export interface StoredObject {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  /** The key already held these very bytes for this item (a lost manifest record): nothing was written. */
  readonly alreadyStored?: boolean;
}

/** What a stat or HEAD tells about a published object, without reading its bytes. */
export interface ObjectInfo {
  readonly size: number;
  /** The media id the object carries (S3: `x-amz-meta-gphotos-media-id`); absent when it carries none. */
  readonly mediaId?: string;
  /** Its bytes cannot be read now (S3 archive storage classes, not restored). */
  readonly archived?: boolean;
}

export interface Sink {
  /** e.g. `/home/me/photos` or `s3://bucket/prefix`. */
  readonly location: string;
  /** Whether stat is cheap enough to confirm each manifest entry on a re-run (a local stat is; a HEAD request is not). */
  readonly cheapStat: boolean;
  /** Streams the body, verifies its length, hashes it and publishes it atomically. */
  put(input: PutInput): Promise<StoredObject>;
  /** Whether objects carry their media id (S3 metadata), so that head can tell whose an object is. */
  readonly carriesMediaId: boolean;
  /** Size of a published object, or undefined when it does not exist. */
  stat(key: string): Promise<{ size: number } | undefined>;
  /** Size, media id and readability of a published object (a stat, a HEAD), or undefined when it does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Reads a published object (for verify). */
  read(key: string): Readable;
  /**
   * Writes a small text object atomically. Without `owner` it replaces any previous one; with
   * `owner` (the media id of the item a sidecar describes) it replaces only that item's earlier
   * sidecar, never another object (a media file may itself be named `a.jpg.json`): a key holding
   * one is left as it is, with a warning.
   */
  writeText(key: string, text: string, owner?: string): Promise<void>;
  /**
   * Makes what put published durable against power loss (a put's bytes always are; the names
   * may be batched). A crash before flush costs at most a re-download, never a partial file.
   */
  flush(): Promise<void>;
  /**
   * Removes a published object (an item moved to its right key once its capture time became
   * known: the new copy is recorded first). Removing what is not there is no error.
   */
  remove(key: string): Promise<void>;
  /** Removes what interrupted writes left behind (temp files of dead writers); returns how many. */
  sweep(): Promise<number>;
}
