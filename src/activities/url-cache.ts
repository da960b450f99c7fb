// Media items as the last listing returned them, kept in this worker's memory only, so the
// download that follows a listing within minutes can use the baseUrls it already has instead of
// asking batchGet again. Never persisted and never passed to Temporal; entries older than
// MAX_AGE are ignored, as baseUrls live about 60 minutes.
import type { MediaItem } from '../google/types.js';

const MAX_AGE_MS = 40 * 60 * 1000;
const MAX_ENTRIES = 20_000;

export class BaseUrlCache {
  private readonly entries = new Map<string, { item: MediaItem; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  remember(items: readonly MediaItem[]): void {
    for (const item of items) {
      if (!item.baseUrl) continue;
      this.entries.delete(item.id);
      this.entries.set(item.id, { item, at: this.now() });
    }
    // Oldest first: drop beyond the cap.
    for (const key of this.entries.keys()) {
      if (this.entries.size <= MAX_ENTRIES) break;
      this.entries.delete(key);
    }
  }

  /** The item with a still-fresh baseUrl, taken out of the cache (a URL is used once). */
  take(id: string): MediaItem | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    return this.now() - entry.at <= MAX_AGE_MS ? entry.item : undefined;
  }
}
