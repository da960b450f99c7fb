// Mocked activities for workflow tests: a fake library listed page by page, and a downloadBatch
// whose answer each test scripts call by call. Every call is recorded with the server's clock
// (the time-skipping server's, when time is skipped), so tests can see when it happened.
import { activityInfo } from '@temporalio/activity';
import type { Activities, ListPageInput } from '../../src/activities/index.js';
import type { DownloadBatchInput, DownloadBatchResult } from '../../src/activities/download-batch.js';
import type { DescriptorPage, MediaDescriptor } from '../../src/sources/descriptor.js';

export function photo(n: number): MediaDescriptor {
  return { id: `photo-${n}`, filename: `IMG_${n}.jpg`, mimeType: 'image/jpeg', kind: 'photo', creationTime: '2024-05-01T10:00:00Z' };
}

export function video(n: number, videoStatus: MediaDescriptor['videoStatus'] = 'PROCESSING'): MediaDescriptor {
  return { id: `video-${n}`, filename: `VID_${n}.mp4`, mimeType: 'video/mp4', kind: 'video', creationTime: '2024-05-01T10:00:00Z', videoStatus };
}

/** What a batch of these items gives when every one is stored (1000 bytes each). */
export function storedAll(items: readonly MediaDescriptor[]): DownloadBatchResult {
  return { stored: items.length, storedBytes: items.length * 1000, skipped: 0, failed: [], deferred: [] };
}

export interface RecordedCall {
  readonly ids: readonly string[];
  /** When the server scheduled this attempt (its clock, skipped or not). */
  readonly scheduledMs: number;
}

export type BatchAnswer = (input: DownloadBatchInput, call: number) => Promise<DownloadBatchResult> | DownloadBatchResult;

export interface MockedActivities {
  readonly activities: Pick<Activities, 'listLibraryPage' | 'downloadBatch' | 'sweepDestination'>;
  readonly listCalls: RecordedCall[];
  readonly batchCalls: RecordedCall[];
  readonly sweeps: number[];
}

/** `pages` of the fake library; `answer` decides each downloadBatch call (numbered from 0). */
export function mockActivities(pages: readonly (readonly MediaDescriptor[])[], answer: BatchAnswer = (input) => storedAll(input.items)): MockedActivities {
  const listCalls: RecordedCall[] = [];
  const batchCalls: RecordedCall[] = [];
  const sweeps: number[] = [];
  const scheduledMs = (): number => activityInfo().currentAttemptScheduledTimestampMs;
  return {
    listCalls,
    batchCalls,
    sweeps,
    activities: {
      listLibraryPage(input: ListPageInput): Promise<DescriptorPage> {
        const index = input.pageToken ? Number(input.pageToken) : 0;
        const items = pages[index] ?? [];
        listCalls.push({ ids: items.map((item) => item.id), scheduledMs: scheduledMs() });
        return Promise.resolve(index + 1 < pages.length ? { items, nextPageToken: String(index + 1) } : { items });
      },
      async downloadBatch(input: DownloadBatchInput): Promise<DownloadBatchResult> {
        const call = batchCalls.length;
        batchCalls.push({ ids: input.items.map((item) => item.id), scheduledMs: scheduledMs() });
        return answer(input, call);
      },
      sweepDestination(): Promise<number> {
        sweeps.push(scheduledMs());
        return Promise.resolve(0);
      },
    },
  };
}

/** A promise a test resolves when it chooses (e.g. to hold a batch in flight). */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
