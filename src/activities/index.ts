// Activities are factories over injected dependencies (temporalio/samples-typescript style):
// the worker builds them once; workflows see only their types.
import { apiOrigins, type GoogleEndpoints } from '../config.js';
import { count } from '../metrics.js';
import { log } from '@temporalio/activity';
import { destinationLabel, manifestFor, openSink, type DestinationSpec } from '../destination.js';
import type { AccountRef } from '../google/account.js';
import { AccountTokens } from '../google/account-tokens.js';
import { LibraryClient } from '../google/library-client.js';
import { PickerClient } from '../google/picker-client.js';
import type { TokenStore } from '../google/token-store.js';
import type { SearchFilters } from '../google/types.js';
import type { DescriptorPage } from '../sources/descriptor.js';
import { LibrarySource } from '../sources/library-source.js';
import { alreadyStored, createDownloadActivity, type DownloadBatchInput, type DownloadBatchResult } from './download-batch.js';
import { classified } from './failures.js';
import { createPickerActivities } from './picker-sessions.js';
import { createTakeoutActivities } from './takeout.js';
import { BaseUrlCache } from './url-cache.js';
import type { Manifest } from '../manifest/manifest.js';
import type { Sink } from '../sinks/sink.js';

export interface ActivityDeps {
  readonly endpoints: GoogleEndpoints;
  readonly tokenStore: TokenStore;
}

export interface ListPageInput {
  readonly account: AccountRef;
  readonly pageToken?: string;
  readonly filters?: SearchFilters;
  readonly pageSize?: number;
  /** When given, items this destination holds already are counted in `known` and left out of the page. */
  readonly destination?: DestinationSpec;
}

/** Pages one listing call may read through while every item on them is stored already. */
const KNOWN_PAGES_PER_CALL = 20;

/** Leaves out of a page the items the destination holds already (a re-run then starts no batch for them). */
async function withoutKnown(page: DescriptorPage, sink: Sink, manifest: Manifest): Promise<DescriptorPage> {
  const known = await Promise.all(page.items.map((item) => alreadyStored(manifest, sink, item.id)));
  const items = page.items.filter((_, i) => !known[i]);
  count('skipped', page.items.length - items.length);
  return { ...page, items, known: page.items.length - items.length };
}

/**
 * Lists a page and leaves out what the destination holds; while a whole page is stored already,
 * goes on to the next (up to KNOWN_PAGES_PER_CALL pages), so that a re-run over an unchanged
 * library takes one call per 20 pages instead of one per page. `known` sums the pages read. The
 * manifest is opened (and refreshed) once per call, not once per page.
 */
async function listUnknown(listPage: (token: string | undefined) => Promise<DescriptorPage>, input: ListPageInput, destination: DestinationSpec): Promise<DescriptorPage> {
  const [sink, manifest] = [openSink(destination), await manifestFor(destination)];
  let known = 0;
  let token = input.pageToken;
  for (let pages = 1; ; pages++) {
    const page = await withoutKnown(await listPage(token), sink, manifest);
    known += page.known ?? 0;
    if (page.items.length > 0 || page.nextPageToken === undefined || pages >= KNOWN_PAGES_PER_CALL) return { ...page, known };
    token = page.nextPageToken;
  }
}

export function createActivities(deps: ActivityDeps) {
  // One token source per sign-in per worker, reloaded when its credentials file changes.
  const accounts = new AccountTokens(deps.tokenStore, deps.endpoints);
  const mediaOrigins = apiOrigins(deps.endpoints);
  const library = async (ref: AccountRef) => {
    const tokens = await accounts.tokensFor(ref);
    return { tokens, client: new LibraryClient({ apiUrl: deps.endpoints.libraryApiUrl, tokens, mediaOrigins }) };
  };
  const picker = async (ref: AccountRef) => {
    const tokens = await accounts.tokensFor(ref);
    return { tokens, client: new PickerClient({ apiUrl: deps.endpoints.pickerApiUrl, tokens, mediaOrigins }) };
  };
  const urls = new BaseUrlCache();
  const downloadBatch = createDownloadActivity({ library, picker, urls });

  return {
    ...createPickerActivities(picker),
    ...createTakeoutActivities(),
    /** One page of the Library API as slim descriptors (no baseUrl ever leaves this activity). */
    async listLibraryPage(input: ListPageInput): Promise<DescriptorPage> {
      return classified(async () => {
        const source = new LibrarySource((await library(input.account)).client);
        const listPage = (token: string | undefined) => source.listPage(token, input.filters, input.pageSize, (items) => urls.remember(items));
        return input.destination ? listUnknown(listPage, input, input.destination) : listPage(input.pageToken);
      }, input.destination && destinationLabel(input.destination));
    },
    /**
     * Removes leftovers of interrupted writes (e.g. temp files of a killed worker), then tidies
     * the manifest where it grew (an S3 manifest's segments merged into a snapshot).
     */
    async sweepDestination(destination: DestinationSpec): Promise<number> {
      return classified(async () => {
        const swept = await openSink(destination).sweep();
        const tidied = await (await manifestFor(destination)).tidy();
        if (tidied !== undefined) log.info('manifest tidied', { destination: destinationLabel(destination), tidied });
        return swept;
      }, destinationLabel(destination));
    },
    /** Stores a batch of items in the destination; see download-batch.ts. */
    async downloadBatch(input: DownloadBatchInput): Promise<DownloadBatchResult> {
      return classified(() => downloadBatch(input), destinationLabel(input.destination));
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
