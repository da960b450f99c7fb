// Where backed-up items come from, beside where they go (src/sinks/sink.ts). A source lists
// descriptors (descriptor.ts: slim, no secrets, they travel through Temporal) and, inside the
// downloadBatch activity only, resolves them to fresh download URLs right before the bytes are
// fetched. downloadBatch, the sinks, the manifest and the layout are shared by the API sources,
// Library (library-source.ts) and Picker (picker-source.ts). Takeout (takeout/) has no URLs to
// resolve: its bytes are entries of archive parts, which a tgz gives only front to back, so a part
// is its unit (takeout/archive.ts: one reader for zip, tgz and extracted folders), streamed by
// activities/takeout-store.ts into the same sinks, manifest, layout and failure records.
import type { SourceName } from '../manifest/manifest.js';
import type { MediaDescriptor } from './descriptor.js';

/** An item ready to download. It never leaves the activity: its baseUrl is a capability URL. */
export interface ResolvedItem {
  /** The item as Google describes it now (a video's status may have moved on since the listing). */
  readonly descriptor: MediaDescriptor;
  /** Valid about 60 minutes; absent when Google gave none (the download then counts as expired). */
  readonly baseUrl?: string;
  /** What Google said about the item, without its baseUrl: the content of the `<file>.json` sidecar. */
  readonly metadata: Readonly<Record<string, unknown>>;
}

export interface MediaSource {
  /** Recorded in the manifest beside each item this source stored. */
  readonly name: SourceName;
  /** Where media downloads of this source's baseUrls may send the token, besides Google's media hosts. */
  readonly mediaOrigins: readonly string[];
  /** Fresh download URLs for these items; an item Google no longer gives maps to undefined. */
  resolve(descriptors: readonly MediaDescriptor[]): Promise<Map<string, ResolvedItem | undefined>>;
  /** A fresh URL for one item whose URL expired; undefined when Google no longer gives the item. */
  refresh(id: string): Promise<ResolvedItem | undefined>;
  /**
   * The item as last seen, when a refresh since it was resolved renewed more than the one item
   * (a Picker page listed again): saves every later item of the batch its own expired try.
   */
  latest?(item: ResolvedItem): ResolvedItem;
}

/** Which source a batch's items come from (inputs carry no token and no baseUrl, only this). */
export type SourceSelector =
  | { readonly kind: 'library' }
  | {
      readonly kind: 'picker';
      readonly sessionId: string;
      /** The page token the batch's items were listed with: re-listing for fresh URLs starts there. */
      readonly pageToken?: string;
    };
