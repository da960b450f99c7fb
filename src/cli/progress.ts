// Live progress of a backup for `--follow`: polls the workflow's progress query and draws one
// line (items, bytes, rate, ETA, failures), redrawn in place on a terminal.
import type { WorkflowHandle } from '@temporalio/client';
import type { BackupProgress } from '../workflows/messages.js';
import { formatBytes } from '../format.js';
import { liveProgress } from './live-progress.js';

export { formatBytes };

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

/** Counts a bar is drawn from. */
export interface BarCounts {
  readonly done: number;
  readonly total: number;
  /** Whether `total` is final (the bar and ETA are drawn only then). */
  readonly complete: boolean;
  readonly bytes: number;
}

/** `[####----] done/total items · bytes · rate · ETA` and then `tail`. */
export function barLine(c: BarCounts, rate: Rate, tail: string, barWidth = 24): string {
  const fraction = c.total > 0 ? Math.min(1, c.done / c.total) : 0;
  const filled = Math.round(fraction * barWidth);
  const bar = c.complete ? `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ` : '';
  const eta = c.complete && rate.itemsPerSecond > 0 ? ` · ETA ${formatDuration((c.total - c.done) / rate.itemsPerSecond)}` : '';
  return `${bar}${c.done}/${c.total}${c.complete ? '' : '+'} items · ${formatBytes(c.bytes)} · ${formatBytes(rate.bytesPerSecond)}/s${eta}${tail}`;
}

function backupStatus(p: BackupProgress): string {
  if (p.status === 'sleeping-for-quota' && p.sleepingUntil) return ` · daily quota used up, resuming at ${p.sleepingUntil}`;
  if (p.status === 'downloading' || (p.status === 'listing' && p.listed > 0)) return p.listingDone ? '' : ' · listing';
  if (p.status === 'paused' && p.batchesInFlight > 0) return ` · pausing: ${p.batchesInFlight} batch${p.batchesInFlight === 1 ? '' : 'es'} finishing`;
  return ` · ${p.status}`;
}

export function progressLine(p: BackupProgress, rate: Rate, barWidth = 24): string {
  const counts = { done: p.stored + p.skipped + p.failed, total: p.listed, complete: p.listingDone, bytes: p.storedBytes };
  const tail = `${p.failed > 0 ? ` · ${p.failed} failed` : ''}${p.deferred > 0 ? ` · ${p.deferred} videos processing` : ''}${backupStatus(p)}`;
  return barLine(counts, rate, tail, barWidth);
}

/** Counts every followed run has. */
export interface FollowedCounts {
  readonly stored: number;
  readonly skipped: number;
  readonly failed: number;
  readonly storedBytes: number;
}

/** How to follow one kind of run: read its progress, draw its line, and say what must be printed once (a new link). */
export interface FollowView<P extends FollowedCounts> {
  read(): Promise<P>;
  line(p: P, rate: Rate): string;
  note?(p: P): string | undefined;
}

/** Polls progress until the workflow closes; draws on `out`. Resolves when the run is closed. */
export async function followProgress(handle: WorkflowHandle, out: NodeJS.WriteStream, intervalMs = 1000): Promise<void> {
  await follow(handle, out, { read: () => liveProgress(handle), line: progressLine }, intervalMs);
}

/** Polls `view` until the workflow closes: one line redrawn in place on a terminal, every 5 s otherwise. */
export async function follow<P extends FollowedCounts>(handle: WorkflowHandle, out: NodeJS.WriteStream, view: FollowView<P>, intervalMs = 1000): Promise<void> {
  const tty = out.isTTY === true;
  let last: { at: number; done: number; bytes: number } | undefined;
  let rate: Rate = { itemsPerSecond: 0, bytesPerSecond: 0 };
  let lastPrinted = 0;
  let lastNote: string | undefined;
  let closed = false;
  const result = handle.result().then(
    () => undefined,
    () => undefined,
  );
  void result.then(() => {
    closed = true;
  });
  while (!closed) {
    try {
      const p = await view.read();
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
      const note = view.note?.(p);
      if (note !== undefined && note !== lastNote) {
        out.write(`${tty ? '\r\x1b[2K' : ''}${note}\n`);
        lastNote = note;
        lastPrinted = 0;
      }
      const line = view.line(p, rate);
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
