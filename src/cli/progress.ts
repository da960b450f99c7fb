// Live progress of a backup for `--follow`: polls the workflow's progress query and draws one
// line (items, bytes, rate, ETA, failures), redrawn in place on a terminal.
import type { WorkflowHandle } from '@temporalio/client';
import type { BackupProgress } from '../workflows/messages.js';
import { liveProgress } from './live-progress.js';

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export interface Rate {
  readonly itemsPerSecond: number;
  readonly bytesPerSecond: number;
}

export function progressLine(p: BackupProgress, rate: Rate, barWidth = 24): string {
  const done = p.stored + p.skipped + p.failed;
  const total = p.listed;
  const fraction = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(fraction * barWidth);
  const bar = p.listingDone ? `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ` : '';
  const eta = p.listingDone && rate.itemsPerSecond > 0 ? ` · ETA ${formatDuration((total - done) / rate.itemsPerSecond)}` : '';
  const status =
    p.status === 'sleeping-for-quota' && p.sleepingUntil
      ? ` · daily quota used up, resuming at ${p.sleepingUntil}`
      : p.status === 'downloading' || (p.status === 'listing' && p.listed > 0)
        ? p.listingDone
          ? ''
          : ' · listing'
        : p.status === 'paused' && p.batchesInFlight > 0
          ? ` · pausing: ${p.batchesInFlight} batch${p.batchesInFlight === 1 ? '' : 'es'} finishing`
          : ` · ${p.status}`;
  return (
    `${bar}${done}/${total}${p.listingDone ? '' : '+'} items · ${formatBytes(p.storedBytes)} · ` +
    `${formatBytes(rate.bytesPerSecond)}/s${eta}` +
    `${p.failed > 0 ? ` · ${p.failed} failed` : ''}${p.deferred > 0 ? ` · ${p.deferred} videos processing` : ''}${status}`
  );
}

/** Polls progress until the workflow closes; draws on `out`. Resolves when the run is closed. */
export async function followProgress(handle: WorkflowHandle, out: NodeJS.WriteStream, intervalMs = 1000): Promise<void> {
  const tty = out.isTTY === true;
  let last: { at: number; done: number; bytes: number } | undefined;
  let rate: Rate = { itemsPerSecond: 0, bytesPerSecond: 0 };
  let lastPrinted = 0;
  const result = handle.result().then(
    () => undefined,
    () => undefined,
  );
  let closed = false;
  void result.then(() => {
    closed = true;
  });
  while (!closed) {
    try {
      const p = await liveProgress(handle);
      const now = Date.now();
      const done = p.stored + p.skipped + p.failed;
      if (last && now > last.at) {
        const dt = (now - last.at) / 1000;
        // Smoothed so the rate does not jump with every batch.
        rate = {
          itemsPerSecond: 0.7 * rate.itemsPerSecond + 0.3 * ((done - last.done) / dt),
          bytesPerSecond: 0.7 * rate.bytesPerSecond + 0.3 * ((p.storedBytes - last.bytes) / dt),
        };
      }
      last = { at: now, done, bytes: p.storedBytes };
      const line = progressLine(p, rate);
      if (tty) out.write(`\r\x1b[2K${line}`);
      else if (now - lastPrinted >= 5000) {
        out.write(`${line}\n`);
        lastPrinted = now;
      }
    } catch {
      // the run may be between continue-as-new runs or just closed: try again
    }
    await Promise.race([result, new Promise((r) => setTimeout(r, intervalMs))]);
  }
  if (tty) out.write('\n');
}
