// What the Temporal Web UI shows about a running backup or pick: its current details (Markdown,
// kept up to date with setCurrentDetails) and the summaries of its activities and timers, so
// that the event history reads like what happened. Pure functions of the progress; no I/O.
import type { ItemFailure } from '../activities/download-batch.js';
import { formatBytes } from '../format.js';
import type { BackupProgress } from './messages.js';
import type { PickProgress } from './pick-messages.js';
import type { TakeoutProgress } from './takeout-messages.js';

const FAILURES_SHOWN = 5;

/**
 * `12:34 UTC` of an epoch-ms or ISO time, with the date when it is not `now`'s day: before the
 * time (`2024-05-02 12:34 UTC`), or after it with `dateAfter` (`12:34 UTC on 2024-05-02`).
 */
export function utcTime(at: number | string, now: number, { dateAfter = false }: { readonly dateAfter?: boolean } = {}): string {
  const iso = new Date(at).toISOString();
  const day = iso.slice(0, 10);
  const time = `${iso.slice(11, 16)} UTC`;
  if (day === new Date(now).toISOString().slice(0, 10)) return time;
  return dateAfter ? `${time} on ${day}` : `${day} ${time}`;
}

function failureLines(failures: readonly ItemFailure[], total: number): string[] {
  if (total === 0) return [];
  const shown = failures.slice(0, FAILURES_SHOWN).map((f) => `- \`${f.filename ?? f.id}\`: ${f.reason}`);
  return ['', `**Failed items** (${total}; the next run tries them again):`, ...shown, ...(total > shown.length ? [`- … and ${total - shown.length} more`] : [])];
}

function countLines(p: { stored: number; storedBytes: number; skipped: number; failed: number; listed: number }, listedAs: string): string[] {
  return [`- ${p.listed} ${listedAs}`, `- ${p.stored} stored (${formatBytes(p.storedBytes)})`, `- ${p.skipped} already there`, `- ${p.failed} failed`];
}

export function backupDetails(p: BackupProgress, now: number): string {
  const state =
    p.status === 'sleeping-for-quota' && p.sleepingUntil
      ? `sleeping for Google's daily quota until ${utcTime(p.sleepingUntil, now)}`
      : p.status === 'paused'
        ? `paused${p.batchesInFlight > 0 ? ` (${p.batchesInFlight} batches finishing)` : ''}`
        : p.status;
  return [
    `**Backup: ${state}**`,
    ...countLines(p, p.listingDone ? 'listed' : 'listed so far'),
    `- ${p.batchesInFlight} download batches running`,
    ...(p.deferred > 0 ? [`- ${p.deferred} videos still processing at Google`] : []),
    ...(p.retryLater ? [`- ${p.retryLater} items to try once more at the end`] : []),
    ...failureLines(p.recentFailures, p.failed),
  ].join('\n');
}

export function pickDetails(p: PickProgress, now: number): string {
  const round = p.round !== undefined && p.rounds !== 1 ? ` (round ${p.round}${p.rounds ? ` of ${p.rounds}` : ''})` : '';
  const waiting = p.status === 'waiting-for-pick' && p.pickerUri;
  return [
    `**Pick${round}: ${p.status === 'sleeping-for-quota' && p.sleepingUntil ? `sleeping for Google's daily quota until ${utcTime(p.sleepingUntil, now)}` : p.status}**`,
    ...(waiting ? [`Waiting for the person to pick in Google Photos: [open the Picker](${p.pickerUri})${p.expireTime ? ` (until ${utcTime(p.expireTime, now)})` : ''}`, `- ${p.polls} polls so far`] : []),
    ...(waiting ? [] : countLines(p, 'picked')),
    ...(p.stillProcessing > 0 ? [`- ${p.stillProcessing} videos still processing at Google`] : []),
    ...failureLines(p.recentFailures, p.failed),
  ].join('\n');
}

export function takeoutDetails(p: TakeoutProgress): string {
  const parts = p.status === 'scanning' ? `${p.partsScanned} of ${p.parts} parts scanned` : `${p.partsImported} of ${p.parts} parts imported`;
  return [
    `**Takeout import: ${p.status}** (${parts})`,
    ...countLines(p, 'items planned'),
    ...(p.duplicates > 0 ? [`- ${p.duplicates} copies in album folders (stored once)`] : []),
    ...(p.unmatched > 0 ? [`- ${p.unmatched} media files without a JSON sidecar (stored anyway)`] : []),
    ...(p.leftOut > 0 ? [`- ${p.leftOut} left out (Trash, Failed Videos)`] : []),
    ...(p.partProblems.length > 0 ? ['', `**Parts that cannot be read** (${p.partProblems.length}):`, ...p.partProblems.slice(0, FAILURES_SHOWN).map((x) => `- ${x.reason}`)] : []),
    ...failureLines(p.recentFailures, p.failed),
  ].join('\n');
}

/** Summary of a download batch's activity: what it holds. */
export function batchSummary(items: number, what: string): string {
  return `${what}: ${items} item${items === 1 ? '' : 's'}`;
}
