// listLibrary: pages through the Library API in activities and counts what it finds.
// Deterministic: a cursor and counters; all I/O happens in the listLibraryPage activity.
import { continueAsNew, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { AccountRef } from '../google/account.js';

const { listLibraryPage } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
});

export interface ListLibraryInput {
  readonly account: AccountRef;
  /** Carried across continue-as-new. */
  readonly cursor?: { readonly pageToken: string; readonly totals: LibraryTotals };
}

export interface LibraryTotals {
  readonly items: number;
  readonly photos: number;
  readonly videos: number;
  readonly pages: number;
}

export async function listLibrary(input: ListLibraryInput): Promise<LibraryTotals> {
  let totals: LibraryTotals = input.cursor?.totals ?? { items: 0, photos: 0, videos: 0, pages: 0 };
  let pageToken = input.cursor?.pageToken;
  do {
    const page = await listLibraryPage({ account: input.account, ...(pageToken ? { pageToken } : {}) });
    const videos = page.items.filter((item) => item.kind === 'video').length;
    totals = {
      items: totals.items + page.items.length,
      photos: totals.photos + page.items.length - videos,
      videos: totals.videos + videos,
      pages: totals.pages + 1,
    };
    pageToken = page.nextPageToken;
    if (pageToken && workflowInfo().continueAsNewSuggested) {
      log.info('continuing as new', { items: totals.items });
      await continueAsNew<typeof listLibrary>({ account: input.account, cursor: { pageToken, totals } });
    }
  } while (pageToken);
  log.info('library listed', { ...totals });
  return totals;
}
