// gphotos-backup's own metrics, served beside the SDK's on the worker's Prometheus endpoint
// (`gphotos-backup worker --metrics HOST:PORT`): items and bytes stored, items already there,
// items given up by kind, and requests to Google by kind. They are recorded on the current
// activity's meter, so they carry the SDK's tags (namespace, task queue, activity type); outside
// an activity (the CLI's verify, a test without a worker) nothing is recorded.
import { Context } from '@temporalio/activity';
import type { MetricCounter, MetricMeter } from '@temporalio/common';

const COUNTERS = {
  stored: ['gphotos_items_stored', 'Items stored in the destination'],
  storedBytes: ['gphotos_stored_bytes', 'Bytes stored in the destination'],
  skipped: ['gphotos_items_skipped', 'Items found already stored'],
  failed: ['gphotos_items_failed', 'Items given up for this run, by kind (gone, video-failed, transient, refused, bug)'],
  googleRequests: ['gphotos_google_requests', 'Requests to Google, by kind (the API call, or media)'],
} as const;

export type CounterName = keyof typeof COUNTERS;

const counters = new WeakMap<MetricMeter, Map<CounterName, MetricCounter>>();

function currentMeter(): MetricMeter | undefined {
  try {
    return Context.current().metricMeter;
  } catch {
    return undefined; // not in an activity
  }
}

/** Adds `value` to one of our counters, with `tags` (low-cardinality values only). */
export function count(name: CounterName, value = 1, tags: Record<string, string> = {}): void {
  const meter = currentMeter();
  if (!meter || value <= 0) return;
  let mine = counters.get(meter);
  if (!mine) counters.set(meter, (mine = new Map<CounterName, MetricCounter>()));
  let counter = mine.get(name);
  if (!counter) {
    const [metric, description] = COUNTERS[name];
    counter = meter.createCounter(metric, undefined, description);
    mine.set(name, counter);
  }
  counter.add(value, tags);
}
